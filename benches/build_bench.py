#!/usr/bin/env python3
"""Build benchmark: wall time and peak memory of `funnelcake build` on
generated sites (benches/gen_site.py), output on tmpfs and on disk.

    python3 benches/build_bench.py               # 1,000 and 10,000 pages
    python3 benches/build_bench.py 1000 100000   # any sizes
    RUNS=7 python3 benches/build_bench.py

Each size is built RUNS times (default 5) into a fresh output folder; the
median wall time and the largest peak RSS are printed. To compare with
another generator's sites (one that also writes the same site for another
tool), set GEN to its path: it is run as `GEN PAGES DEST --flavor funnelcake`
and must write DEST/funnelcake/.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEN = Path(os.environ.get("GEN", ROOT / "benches" / "gen_site.py"))
BIN = ROOT / "target" / "release" / "funnelcake"
RUNS = int(os.environ.get("RUNS", "5"))


def run_once(site, out):
    shutil.rmtree(out, ignore_errors=True)
    # ru_maxrss of children is the max over all waited children, so each run
    # happens in its own short-lived shell to read its own peak.
    cmd = [sys.executable, "-c",
           "import resource,subprocess,sys,time;"
           "t=time.perf_counter();r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE);"
           "d=time.perf_counter()-t;"
           "m=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
           "sys.stderr.write(r.stderr.decode()) if r.returncode else None;"
           "print(d,m,r.returncode)",
           str(BIN), "build", str(site), "-o", str(out)]
    seconds, rss_kib, code = subprocess.check_output(cmd, text=True).split()
    if code != "0":
        sys.exit(f"build of {site} failed")
    return float(seconds), int(rss_kib) / 1024


def bench(pages, work):
    site_root = work / f"site{pages}"
    if not (site_root / "funnelcake").exists():
        flavor = [] if "GEN" not in os.environ else ["--flavor", "funnelcake"]
        subprocess.run([sys.executable, str(GEN), str(pages), str(site_root), *flavor],
                       check=True, stdout=subprocess.DEVNULL)
    site = site_root / "funnelcake"
    for label, out_base in (("tmpfs", Path("/dev/shm")), ("disk", work)):
        out = out_base / f"funnelcake-bench-out-{pages}"
        times, peaks = [], []
        for _ in range(RUNS):
            t, m = run_once(site, out)
            times.append(t)
            peaks.append(m)
        shutil.rmtree(out, ignore_errors=True)
        print(f"{pages:>7} pages  {label:<5}  median {statistics.median(times):7.3f} s"
              f"  (min {min(times):.3f}, max {max(times):.3f})  peak {max(peaks):7.1f} MiB", flush=True)


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    work = Path(os.environ.get("BENCH_DIR", tempfile.gettempdir())) / "funnelcake-bench"
    work.mkdir(parents=True, exist_ok=True)
    print(f"funnelcake build, {RUNS} runs per size, fresh output folder each run")
    for pages in sizes:
        bench(pages, work)


if __name__ == "__main__":
    main()

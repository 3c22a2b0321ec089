#!/usr/bin/env python3
"""Image benchmark: funnelcake's responsive images against Zola's
`resize_image`, on the same photographs, widths, formats and quality.

    pip install pillow                       # to make the photographs
    python3 benches/image_bench.py           # 50 photos of 12 MP
    PHOTOS=10 RUNS=1 python3 benches/image_bench.py
    ZOLA=/path/to/zola AVIF_SPEED=9 KEEP=/tmp/bench python3 benches/image_bench.py

The photographs are made once into benches/.images/ (ignored by git): the
CC0 and public-domain sample photographs that scikit-image ships (its wheel
is downloaded with pip), each scaled up to 4000 x 3000 with sensor-like
grain and its own crop, so no two files are alike and every encoder works
on camera-sized, noisy pixels.

Runs are interleaved (funnelcake, then each Zola, then again), so other
load on a shared machine falls on every tool alike. Each run prints its wall
time, CPU time (user + system) and peak memory, and the load average; the
end gives, for the first build (empty cache) and for a rebuild with the
cache, the median times and the peak memory, and for each tool the images it
made by format and size, with their bytes, to check that both make the same
set. A cached rebuild that writes anything into its tool's image cache stops
the benchmark: it must do no image work.

Zola runs only when `zola` is on PATH or ZOLA names it. It runs at each AVIF
speed in AVIF_SPEED (default: funnelcake's own speed, for like-for-like
encoder settings, and Zola's default, 5, which a Zola user gets). Zola's
`hard_link_static` is on, so it does not also copy the originals, work
funnelcake does not do. KEEP=folder keeps the sites and outputs there.
FUNNELCAKE=path,path runs those funnelcake binaries instead of
target/release/funnelcake (say one built with `--features fast-avif`
and one without, copied aside).
"""
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "funnelcake"
WORK = ROOT / "benches" / ".images"
PHOTOS = int(os.environ.get("PHOTOS", "50"))
RUNS = int(os.environ.get("RUNS", "3"))
WIDTHS = [480, 960, 1440, 1920]
QUALITY = 75
SOURCES = ["coffee.png", "chelsea.png", "rocket.jpg", "astronaut.png",
           "motorcycle_left.png", "retina.jpg", "hubble_deep_field.jpg"]


def samples():
    """The sample photographs, unpacked from scikit-image's wheel."""
    folder = WORK / "samples"
    if all((folder / name).exists() for name in SOURCES):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    wheels = WORK / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                    "scikit-image==0.26.0", "-d", str(wheels)], check=True)
    wheel = next(wheels.glob("scikit_image-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        for name in SOURCES:
            (folder / name).write_bytes(archive.read(f"skimage/data/{name}"))
    return folder


def photographs():
    """PHOTOS camera-sized JPEGs, made once."""
    from PIL import Image, ImageOps
    folder = WORK / f"photos-{PHOTOS}"
    if folder.exists() and len(list(folder.glob("*.jpg"))) == PHOTOS:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    source_dir = samples()
    rng = random.Random(7)
    for i in range(PHOTOS):
        image = Image.open(source_dir / SOURCES[i % len(SOURCES)]).convert("RGB")
        w, h = image.size
        left, top = rng.randint(0, w // 8), rng.randint(0, h // 8)
        image = image.crop((left, top, left + w * 7 // 8, top + h * 7 // 8))
        if rng.random() < 0.5:
            image = ImageOps.mirror(image)
        image = image.resize((4000, 3000), Image.LANCZOS)
        grain = Image.effect_noise((4000, 3000), 24).convert("RGB")
        image = Image.blend(image, grain, 0.12)
        image.save(folder / f"photo-{i:03}.jpg", quality=90)
    return folder


def funnelcake_site(photos, site):
    content = site / "content"
    shutil.copytree(photos, content / "photos")
    (site / "site.yaml").write_text(
        "title: Image bench\nbase_url: https://example.com\nlanguage: en\n"
        f"images:\n  widths: {WIDTHS}\n  formats: [avif, webp]\n  quality: {QUALITY}\n")
    body = "\n\n".join(f"![Photo {i}](photos/{p.name})"
                       for i, p in enumerate(sorted(photos.glob("*.jpg"))))
    (content / "index.md").write_text(
        f"---\ntitle: Photos\ndescription: Every photograph.\nstage: aware\n---\n\n{body}\n")


def zola_site(photos, site, speed):
    shutil.copytree(photos, site / "static" / "photos")
    (site / "content").mkdir(parents=True)
    (site / "templates").mkdir()
    # Hard links: otherwise Zola also copies every original into public/,
    # work funnelcake does not do (it writes only the variants).
    (site / "config.toml").write_text(
        'base_url = "https://example.com"\nhard_link_static = true\n')
    (site / "content" / "_index.md").write_text("+++\ntitle = \"Photos\"\n+++\n")
    calls = []
    for p in sorted(photos.glob("*.jpg")):
        for width in WIDTHS:
            for fmt, extra in (("avif", f", speed={speed}"), ("webp", ""), ("jpg", "")):
                calls.append(
                    f'{{% set r = resize_image(path="photos/{p.name}", width={width}, '
                    f'op="fit_width", format="{fmt}", quality={QUALITY}{extra}) %}}{{{{ r.url }}}}\n')
    (site / "templates" / "index.html").write_text("".join(calls))
    (site / "templates" / "section.html").write_text("")
    (site / "templates" / "page.html").write_text("")


def funnelcake_speed():
    """The AVIF speed funnelcake encodes at, read from its source."""
    source = (ROOT / "src" / "render" / "images" / "encode.rs").read_text()
    return int(re.search(r"AVIF_SPEED: u8 = (\d+);", source).group(1))


def timed(cmd, cwd=None):
    probe = [sys.executable, "-c",
             "import resource,subprocess,sys,time;"
             "t=time.perf_counter();r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE);"
             "d=time.perf_counter()-t;"
             "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
             "sys.stderr.write(r.stderr.decode()) if r.returncode else None;"
             "print(d,u.ru_maxrss,u.ru_utime+u.ru_stime,r.returncode)", *cmd]
    out = subprocess.check_output(probe, text=True, cwd=cwd).split()
    if out[3] != "0":
        sys.exit(f"{cmd[0]} failed")
    # CPU seconds too: on a shared machine they depend far less on the
    # other load than the wall time does.
    return float(out[0]), int(out[1]) / 1024, float(out[2])


def snapshot(folder):
    """Every file under `folder` with its size and modification time."""
    return {p: (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def inventory(label, folder):
    """Prints how many files of each format and width a tool wrote, and
    their bytes, so both tools are seen to make the same set."""
    from PIL import Image
    table = {}
    for path in folder.rglob("*"):
        ext = path.suffix.lower().lstrip(".")
        if ext not in ("avif", "webp", "jpg"):
            continue
        with Image.open(path) as image:
            size = image.size
        count, total = table.get((ext, size), (0, 0))
        table[(ext, size)] = (count + 1, total + path.stat().st_size)
    print(f"{label} output:")
    for (ext, (w, h)), (count, total) in sorted(table.items()):
        print(f"  {ext:>4} {w:>4}x{h:<4} {count:>4} files {total:>12,} bytes")
    for ext in ("avif", "webp", "jpg"):
        rows = [v for (e, _), v in table.items() if e == ext]
        print(f"  {ext:>4} total     {sum(c for c, _ in rows):>4} files "
              f"{sum(t for _, t in rows):>12,} bytes")


class Tool:
    """One generator: how to build, where its cache and its images are."""

    def __init__(self, label, cmd, cwd, cache, clear):
        self.label, self.cmd, self.cwd, self.cache, self.clear = label, cmd, cwd, cache, clear
        self.times = {"first build": [], "cached rebuild": []}
        self.cpu = {"first build": [], "cached rebuild": []}
        self.peaks = {"first build": [], "cached rebuild": []}

    def run(self, phase):
        if phase == "first build":
            for path in self.clear:
                shutil.rmtree(path, ignore_errors=True)
        before = snapshot(self.cache) if phase == "cached rebuild" else None
        seconds, peak, cpu = timed(self.cmd, cwd=self.cwd)
        if before is not None and snapshot(self.cache) != before:
            sys.exit(f"{self.label}: the cached rebuild wrote to its cache")
        self.times[phase].append(seconds)
        self.cpu[phase].append(cpu)
        self.peaks[phase].append(peak)
        print(f"  {self.label:>18} {phase:>15}: {seconds:8.2f} s  cpu {cpu:8.2f} s  "
              f"peak {peak:6.0f} MiB  (load {os.getloadavg()[0]:.1f})", flush=True)


def main():
    # FUNNELCAKE=a,b compares builds of funnelcake (say with and without
    # the `fast-avif` feature) with each other too.
    binaries = os.environ.get("FUNNELCAKE", str(BIN)).split(",")
    if not all(Path(b).exists() for b in binaries):
        sys.exit("build funnelcake first: cargo build --release")
    photos = photographs()
    ours = funnelcake_speed()
    # Zola at funnelcake's AVIF speed is the like-for-like comparison; at
    # its own default (5) it is what a Zola user gets.
    speeds = [int(s) for s in os.environ.get("AVIF_SPEED", f"{ours},5").split(",")]
    print(f"{PHOTOS} photographs of 4000 x 3000, widths {WIDTHS}, AVIF + WebP + JPEG, "
          f"quality {QUALITY}, {os.cpu_count()} cores, funnelcake AVIF speed {ours}")
    # KEEP=folder keeps both tools' sites and outputs there, to look at.
    keep = os.environ.get("KEEP")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(keep or tmp)
        if keep:
            shutil.rmtree(tmp, ignore_errors=True)
        tools = []
        for i, binary in enumerate(binaries):
            site, out = tmp / f"fc{i}", tmp / f"fc{i}-out"
            funnelcake_site(photos, site)
            label = "funnelcake" if len(binaries) == 1 else f"fc {Path(binary).name}"
            tools.append(Tool(label, [binary, "build", str(site), "-o", str(out)], None,
                              site / ".funnelcake", [site / ".funnelcake", out]))
        zola = os.environ.get("ZOLA") or shutil.which("zola")
        if not zola:
            print("zola: not found (set ZOLA=/path/to/zola to compare)")
        for speed in speeds if zola else []:
            zsite = tmp / f"zola-s{speed}"
            zola_site(photos, zsite, speed)
            processed = zsite / "static" / "processed_images"
            tools.append(Tool(f"zola (AVIF s{speed})", [zola, "build", "--force"], zsite,
                              processed, [processed, zsite / "public"]))
        # Interleaved, so that the other load on a shared machine falls on
        # every tool alike.
        for phase in ("first build", "cached rebuild"):
            for _ in range(RUNS):
                for tool in tools:
                    tool.run(phase)
        for tool in tools:
            inventory(tool.label, tool.cache)
        print("medians:")
        for tool in tools:
            for phase in ("first build", "cached rebuild"):
                print(f"  {tool.label:>18} {phase:>15}: "
                      f"{statistics.median(tool.times[phase]):8.2f} s  "
                      f"cpu {statistics.median(tool.cpu[phase]):8.2f} s  "
                      f"peak {max(tool.peaks[phase]):6.0f} MiB")


if __name__ == "__main__":
    main()

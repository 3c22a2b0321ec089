#!/usr/bin/env python3
"""Image benchmark: funnelcake's responsive images against Zola's
`resize_image`, on the same photographs, widths, formats and quality.

    pip install pillow                       # to make the photographs
    python3 benches/image_bench.py           # 50 photos of 12 MP
    PHOTOS=10 RUNS=1 python3 benches/image_bench.py
    ZOLA=/path/to/zola AVIF_SPEED=5 python3 benches/image_bench.py

The photographs are made once into benches/.images/ (ignored by git): the
CC0 and public-domain sample photographs that scikit-image ships (its wheel
is downloaded with pip), each scaled up to 4000 x 3000 with sensor-like
grain and its own crop, so no two files are alike and every encoder works
on camera-sized, noisy pixels.

For each tool it prints the median wall time and the peak memory of the
first build (empty cache) and of a rebuild with the cache. Zola runs only
when `zola` is on PATH or ZOLA names it; its AVIF speed is AVIF_SPEED
(default: Zola's own default, 5).
"""
import os
import random
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
    (site / "config.toml").write_text('base_url = "https://example.com"\n')
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


def timed(cmd, cwd=None):
    probe = [sys.executable, "-c",
             "import resource,subprocess,sys,time;"
             "t=time.perf_counter();r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE);"
             "d=time.perf_counter()-t;"
             "m=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
             "sys.stderr.write(r.stderr.decode()) if r.returncode else None;"
             "print(d,m,r.returncode)", *cmd]
    seconds, rss_kib, code = subprocess.check_output(probe, text=True, cwd=cwd).split()
    if code != "0":
        sys.exit(f"{cmd[0]} failed")
    return float(seconds), int(rss_kib) / 1024


def measure(label, build, clear_cache):
    for phase, clear in (("first build", True), ("cached rebuild", False)):
        times, peaks = [], []
        for _ in range(RUNS):
            if clear:
                clear_cache()
            else:
                build()  # make sure the cache is full
            t, m = build()
            times.append(t)
            peaks.append(m)
        print(f"{label:>10} {phase:>15}: {statistics.median(times):8.2f} s  "
              f"peak {max(peaks):7.0f} MiB")


def main():
    if not BIN.exists():
        sys.exit("build funnelcake first: cargo build --release")
    photos = photographs()
    speed = int(os.environ.get("AVIF_SPEED", "5"))
    print(f"{PHOTOS} photographs of 4000 x 3000, widths {WIDTHS}, AVIF + WebP + JPEG, "
          f"quality {QUALITY}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        site, out = tmp / "fc", tmp / "fc-out"
        funnelcake_site(photos, site)
        measure("funnelcake",
                lambda: timed([str(BIN), "build", str(site), "-o", str(out)]),
                lambda: (shutil.rmtree(site / ".funnelcake", ignore_errors=True),
                         shutil.rmtree(out, ignore_errors=True)))
        zola = os.environ.get("ZOLA") or shutil.which("zola")
        if not zola:
            print("zola: not found (set ZOLA=/path/to/zola to compare)")
            return
        zsite = tmp / "zola"
        zola_site(photos, zsite, speed)
        measure(f"zola (s{speed})",
                lambda: timed([zola, "build", "--force"], cwd=zsite),
                lambda: (shutil.rmtree(zsite / "static" / "processed_images", ignore_errors=True),
                         shutil.rmtree(zsite / "public", ignore_errors=True)))


if __name__ == "__main__":
    main()

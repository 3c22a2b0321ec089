#!/usr/bin/env bash
# Screenshots of the example site for the README: landing, opt-in, tripwire, upsell,
# thank-you and funnel-map pages, in both built-in themes, at phone and desktop size;
# then the funnel map of an eight-stage journey (tests/fixtures/map-eight) at 1280 px
# in both themes, and the Persian example's landing page and map. PNGs are written
# with Pillow's optimiser (pip install pillow) when it is there, to keep them small,
# and one still over 300 kB (a page with a photograph) as a 256-colour palette.
# Needs Chromium (apt-get install -y chromium). Run from anywhere:
#   docs/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# A debug build: it builds these small sites in well under a second, and
# saves compiling every dependency again for release.
cargo build --locked -q
bin=target/debug/funnelcake
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
# name:path, or name:path:phone-height:desktop-height for a page whose offer
# sits below the first screen (the upsell's plans and its "No thanks").
pages=(
    "landing:/"
    "optin:/guides/roasting-guide/?variant=a"
    "tripwire:/offers/tasting-kit/"
    "upsell:/offers/grinder/:2750:1950"
    "thankyou:/guides/roasting-guide-thanks/"
    "funnel-map:/funnel/"
)
for theme in starter launch; do
    rm -rf "$work/site" "$work/out"
    cp -r example-site "$work/site"
    sed -i "s/^theme: .*/theme: $theme/" "$work/site/site.yaml"
    grep -q "^theme: " "$work/site/site.yaml" || echo "theme: $theme" >> "$work/site/site.yaml"
    "$bin" build "$work/site" -o "$work/out" --base-url "http://127.0.0.1:$port" 2>/dev/null
    python3 -m http.server -b 127.0.0.1 -d "$work/out" "$port" >/dev/null 2>&1 &
    server=$!
    sleep 0.5
    for entry in "${pages[@]}"; do
        IFS=: read -r name path phone_h desktop_h <<< "$entry"
        for size in "phone:390,${phone_h:-844}" "desktop:1366,${desktop_h:-900}"; do
            label=${size%%:*}
            chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
                --disable-background-networking --disable-component-update --disable-sync \
                --user-data-dir="$work/profile" --hide-scrollbars \
                --window-size="${size#*:}" \
                --screenshot="docs/screenshots/$theme-$name-$label.png" \
                "http://127.0.0.1:$port$path" >/dev/null 2>&1
        done
    done
    kill $server
    wait $server 2>/dev/null || true
done
# shoot SITE THEME NAME PATH WIDTH,HEIGHT: one more site, built and shot once.
shoot() {
    rm -rf "$work/site" "$work/out"
    cp -r "$1" "$work/site"
    sed -i "/^theme: /d" "$work/site/site.yaml"
    echo "theme: $2" >> "$work/site/site.yaml"
    "$bin" build "$work/site" -o "$work/out" --base-url "http://127.0.0.1:$port" 2>/dev/null
    python3 -m http.server -b 127.0.0.1 -d "$work/out" "$port" >/dev/null 2>&1 &
    server=$!
    sleep 0.5
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$work/profile" --hide-scrollbars --window-size="$5" \
        --screenshot="docs/screenshots/$3.png" "http://127.0.0.1:$port$4" >/dev/null 2>&1
    kill $server
    wait $server 2>/dev/null || true
}
for theme in starter launch; do
    shoot tests/fixtures/map-eight "$theme" "$theme-funnel-map-eight-1280" /funnel/ 1280,800
done
shoot example-site-fa starter fa-landing-desktop / 1280,800
shoot example-site-fa starter fa-landing-phone / 390,844
shoot example-site-fa starter fa-funnel-map-desktop /funnel/ 1280,800
# Re-encode losslessly at the highest compression: screenshots are mostly
# flat colour, so this often halves them. A page with a photograph can stay
# over 300 kB: it is quantized to 256 colours, dithered, which keeps the text
# sharp and the photograph close to the original at about half the size.
python3 - <<'PY' || echo "pillow missing: PNGs left as Chromium wrote them" >&2
import pathlib
from PIL import Image
shots = pathlib.Path("docs/screenshots")
for path in [p for g in ("starter-*.png", "launch-*.png", "fa-*.png") for p in shots.glob(g)]:
    image = Image.open(path).convert("RGB")
    image.save(path, optimize=True)
    if path.stat().st_size > 300_000:
        palette = image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG)
        palette.save(path, optimize=True)
PY
ls docs/screenshots

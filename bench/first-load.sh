#!/usr/bin/env bash
# First-load weight of the console: serves the release build with its demo data, signs in as
# the demo's administrator, and prints the compressed bytes (gzip and brotli, as the server sends
# them) that a browser downloads for a first visit: the HTML of the page, then the CSS, JS and
# WASM it references. Budget (the console issue): WASM + JS + CSS + HTML <= 150 KB gzip
# (DESIGN.md's wider budget is 200 KB).
#
#   bench/first-load.sh [PAGE_PATH]     (default /clusters; `{cluster}/nodes` is a tab of the
#                                        demo cluster; builds the release if it is missing)
#   WHEELHOUSE_BENCH_NO_BUILD=1 ...     (use the existing build as it is)
#   WHEELHOUSE_BENCH_BIN=path ...       (another server binary, e.g. the debug one: the HTML is
#                                        the same; the assets are those of target/site)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
page="${1:-/clusters}"
budget=$((150 * 1024))
target_dir="${CARGO_TARGET_DIR:-$root/target}"
binary="${WHEELHOUSE_BENCH_BIN:-$target_dir/release/wheelhouse}"

if [ -z "${WHEELHOUSE_BENCH_NO_BUILD:-}" ]; then
  bash scripts/setup.sh >/dev/null
  bash scripts/build-release.sh 2>&1 | tail -n 2
fi
[ -x "$binary" ] || { echo "no release build at $binary" >&2; exit 1; }

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
data="$(mktemp -d)"
"$binary" serve --demo --addr "127.0.0.1:$port" --kube-api-addr 127.0.0.1:0 --database-url "sqlite://$data/bench.db" \
  --site-root "$root/target/site" >"$data/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.1
done

base="http://127.0.0.1:$port"
# The administrator the first start printed, signed in as a browser would.
email="$(grep -oE 'email [^,]+' "$data/server.log" | head -n 1 | cut -d' ' -f2)"
password="$(grep -oE 'password [^ ]+' "$data/server.log" | head -n 1 | cut -d' ' -f2)"
jar="$data/cookies"
curl -sf -o /dev/null -c "$jar" -H "Origin: $base" --data-urlencode "email=$email" \
  --data-urlencode "password=$password" "$base/login"
# `{cluster}` in the page path stands for the demo cluster's address, e.g. `{cluster}/nodes`.
if [[ "$page" == *"{cluster}"* ]]; then
  cluster="$(curl -sf -b "$jar" "$base/clusters" | grep -oE 'href="/clusters/[a-z]+-[a-z]+/[0-9a-f-]{36}"' \
    | head -n 1 | sed -E 's/^href="//; s/"$//')"
  page="${page//\{cluster\}/$cluster}"
fi
html="$(curl -sf -b "$jar" "$base$page")"
# The assets a first visit downloads: stylesheet, module script and the wasm it preloads.
mapfile -t assets < <(printf '%s' "$html" \
  | grep -oE '(href|src)="/pkg/[^"]+\.(css|js|wasm)"' | sed -E 's/^(href|src)="//; s/"$//' | sort -u)

bytes() { curl -sf -b "$jar" -H "Accept-Encoding: $1" -o /dev/null -w '%{size_download}' "$base$2"; }

printf '%-28s %10s %10s %10s\n' "first load of $page" "raw" "gzip" "brotli"
total_gzip=0; total_br=0; assets_gzip=0; assets_br=0
for path in "$page" "${assets[@]}"; do
  raw="$(bytes identity "$path")"; gz="$(bytes gzip "$path")"; br="$(bytes br "$path")"
  printf '%-28s %10d %10d %10d\n' "$path" "$raw" "$gz" "$br"
  total_gzip=$((total_gzip + gz)); total_br=$((total_br + br))
  if [ "$path" != "$page" ]; then assets_gzip=$((assets_gzip + gz)); assets_br=$((assets_br + br)); fi
done
printf '%-28s %10s %10d %10d\n' "WASM + JS + CSS" "" "$assets_gzip" "$assets_br"
printf '%-28s %10s %10d %10d\n' "total with HTML" "" "$total_gzip" "$total_br"
printf 'budget: %d bytes (150 KB) gzip; the total uses %d%% of it\n' "$budget" $((100 * total_gzip / budget))
if [ "$total_gzip" -gt "$budget" ]; then
  echo "OVER BUDGET" >&2
  exit 1
fi

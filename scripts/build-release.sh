#!/usr/bin/env bash
# The release build served by scripts/run.sh and measured by bench/: stylesheet, server and
# wasm (size profile + wasm-opt), with static assets precompressed. cargo-leptos writes its .gz
# files at a low level, so they are redone at level 9 (brotli is already at its best).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# cargo-leptos runs the first wasm-opt on PATH: the current one from tools/ (see tools/package.json).
export PATH="$root/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
bash scripts/build-style.sh
cargo leptos build --release --precompress
for asset in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css; do
  gzip -9 --keep --force --no-name "$asset"
done

#!/usr/bin/env bash
# Sets up what is missing, builds the console (release), and serves it on the embedded SQLite
# database. Extra arguments go to `wheelhouse serve` (e.g. --addr 0.0.0.0:3000).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/build-release.sh

target_dir="${CARGO_TARGET_DIR:-$root/target}"
exec "$target_dir/release/wheelhouse" serve --demo --site-root "$root/target/site" "$@"

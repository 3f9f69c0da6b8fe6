#!/usr/bin/env bash
# Sets up what is missing, then runs every check: formatting, clippy (server and wasm), the Rust
# tests on SQLite and PostgreSQL, and the Playwright journeys in Debian's Chromium.
# PostgreSQL: WHEELHOUSE_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export PATH="$root/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export WHEELHOUSE_TEST_POSTGRES_URL="${WHEELHOUSE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "PostgreSQL at $WHEELHOUSE_TEST_POSTGRES_URL"
if ! pg_isready -q -d "$WHEELHOUSE_TEST_POSTGRES_URL"; then
  echo "PostgreSQL does not answer at $WHEELHOUSE_TEST_POSTGRES_URL: the PostgreSQL tests will fail." >&2
  echo "Start it, or point WHEELHOUSE_TEST_POSTGRES_URL at one." >&2
  exit 1
fi

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (server and app, all targets)"
cargo clippy --all-targets -- -D warnings

step "cargo clippy (browser side, wasm32)"
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "cargo test (SQLite and PostgreSQL)"
CI="${CI:-true}" cargo test

step "build the console's browser side (wasm, css, assets)"
bash scripts/build-style.sh
cargo leptos build --frontend-only # the server binary is the one `cargo test` just built

step "Playwright end-to-end tests in Debian's Chromium"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cd end2end
WHEELHOUSE_BIN="$target_dir/debug/wheelhouse" WHEELHOUSE_SITE_ROOT="$root/target/site" \
  npx --no-install playwright test

step "the release browser side (size profile and wasm-opt): every island starts"
cd "$root"
cargo leptos build --release --frontend-only
cd end2end
WHEELHOUSE_BIN="$target_dir/debug/wheelhouse" WHEELHOUSE_SITE_ROOT="$root/target/site" \
  npx --no-install playwright test tests/hydration.spec.ts

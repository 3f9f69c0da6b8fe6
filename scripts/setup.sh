#!/usr/bin/env bash
# Installs whatever is missing to build, run and test Wheelhouse on a Debian machine with Rust
# and Node. Idempotent: a second run checks versions and returns in seconds.
# Used by scripts/run.sh and scripts/test.sh; safe to run on its own.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif have sudo; then sudo "$@"; else
    echo "setup: need root (or sudo) to run: $*" >&2; exit 1
  fi
}

# --- Debian packages: Chromium for browser tests, brotli and curl for the bench, psql's pg_isready
# (wasm-opt comes from npm, in tools/: Debian's binaryen 108 breaks wasm-bindgen's output)
missing_packages=()
[ -x /usr/bin/chromium ] || missing_packages+=(chromium)
have brotli || missing_packages+=(brotli)
have curl || missing_packages+=(curl)
have pg_isready || missing_packages+=(postgresql-client)
if [ ${#missing_packages[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing_packages[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_packages[@]}"
fi

# --- Rust: the wasm target, cargo-leptos, and the wasm-bindgen CLI that matches Cargo.lock
have cargo || { echo "setup: Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

leptos_version="0.3.5" # the newest cargo-leptos that builds on the stable toolchain here (DESIGN.md)
if ! cargo leptos --version 2>/dev/null | grep -q "$leptos_version"; then
  say "installing cargo-leptos $leptos_version (takes several minutes, once)"
  cargo install cargo-leptos --version "$leptos_version" --locked
fi

bindgen_version="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $bindgen_version\$"; then
  say "installing wasm-bindgen-cli $bindgen_version (matches Cargo.lock)"
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

# --- Node packages: the stylesheet tool (style/), wasm-opt (tools/) and Playwright (end2end/),
# from their lock files
have npm || { echo "setup: Node.js with npm is required" >&2; exit 1; }
for dir in style tools end2end; do
  stamp="$dir/node_modules/.installed-from-lock"
  if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
    say "installing npm packages in $dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
done

# --- Python: the official Scaleway SDK (PyPI `scaleway`) for the contract tests, in a venv
venv="end2end/python/.venv"
stamp="$venv/.installed-from-requirements"
if [ ! -f "$stamp" ] || [ end2end/python/requirements.txt -nt "$stamp" ]; then
  have python3 || { echo "setup: Python 3 is required for the Python SDK contract tests" >&2; exit 1; }
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    say "installing Debian's python3-venv"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
  fi
  say "installing the Scaleway Python SDK in $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r end2end/python/requirements.txt
  touch "$stamp"
fi

# --- kubectl: the kubeconfig test runs the real one (these machines' image has 1.32)
if ! have kubectl; then
  echo "setup: kubectl is not installed: the kubeconfig test (kubectl against a sandbox cluster)" >&2
  echo "       will fail. Install kubectl 1.32 or newer (https://kubernetes.io/docs/tasks/tools/)." >&2
fi

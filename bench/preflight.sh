#!/usr/bin/env bash
# The upgrade pre-flight budget: one pre-flight + plan of a 500-node cluster with 2,000 PDBs and
# 20,000 workload API-usage records, ≤ 100 ms on these 2 cores. Prints figures (release build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/wheelhouse-ci-target}"
cargo run --quiet --release -p wheelhouse --example preflight

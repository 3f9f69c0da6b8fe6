#!/usr/bin/env bash
# The maintenance planning budget: one lifespan/window/autohealing planning pass over 10,000
# clusters and 100,000 nodes, ≤ 1 s and ≤ 500 MB on these 2 cores. Prints figures (release build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/wheelhouse-ci-target}"
cargo run --quiet --release -p wheelhouse --example maintenance_pass

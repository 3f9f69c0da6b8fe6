#!/usr/bin/env bash
# The dashboard budget: a signed-in owner's dashboard with 1,000 clusters and 10,000 nodes
# renders on the server in ≤ 50 ms median on these 2 cores, on SQLite and on PostgreSQL
# (WHEELHOUSE_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test; left out
# with a message when none answers). Prints figures (release build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/wheelhouse-ci-target}"
cargo run --quiet --release -p wheelhouse --example dashboard

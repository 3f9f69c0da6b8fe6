#!/usr/bin/env bash
# The maintenance planning budget: one lifespan/window/autohealing planning pass over 10,000
# clusters and 100,000 nodes, ≤ 1 s and ≤ 500 MB on these 2 cores. Prints figures (release
# build): first the decisions alone, from facts in memory; then the planning pass as the
# server runs it, reading the fleet and the settings from SQLite and from PostgreSQL
# (WHEELHOUSE_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test; left out
# with a message when none answers).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/wheelhouse-ci-target}"
cargo run --quiet --release -p wheelhouse --example maintenance_pass
cargo run --quiet --release -p wheelhouse --example maintenance_plan_db

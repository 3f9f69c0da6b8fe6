#!/usr/bin/env bash
# The audit log's budgets, reported (release build): audited changes per second on SQLite and
# PostgreSQL (WHEELHOUSE_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test; left
# out with a message when none answers), by one writer and by four; verifying a complete export
# of 1,000,000 entries (budget 5 s); exporting a log (budget 100 MB; default 200,000 entries,
# WHEELHOUSE_BENCH_EXPORT_ENTRIES=1000000 for the budget's size: seeding it takes minutes).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/wheelhouse-ci-target}"
cargo build --quiet --release -p wheelhouse --example audit_bench
bench="$CARGO_TARGET_DIR/release/examples/audit_bench"
file="$(mktemp -d)/export.jsonl"
trap 'rm -rf "$(dirname "$file")"' EXIT
"$bench" append "${WHEELHOUSE_BENCH_APPEND:-5000}"
"$bench" generate "$file" 1000000
"$bench" verify "$file"
"$bench" export "${WHEELHOUSE_BENCH_EXPORT_ENTRIES:-200000}"

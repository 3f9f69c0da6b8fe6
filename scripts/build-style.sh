#!/usr/bin/env bash
# Generates target/style/wheelhouse.css from style/input.css and the classes used in app/src;
# cargo-leptos picks it up (style-file) and minifies it into target/site/pkg/wheelhouse.css.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../style"
npx --no-install tailwindcss --input input.css --output ../target/style/wheelhouse.css --minify 2>&1 | grep -v '^$' | grep -v '≈ tailwindcss' || true
test -s ../target/style/wheelhouse.css

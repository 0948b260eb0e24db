#!/usr/bin/env bash
# Runs every check and test runbox has: formatting, lints, unit tests,
# store contract tests, and the integration tests that start the real
# server and run real sandboxed processes. Needs root (the sandbox).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked -- --test-threads "${RUNBOX_TEST_THREADS:-4}"

echo "== browser tests"
# The web dashboard in a real Chromium: `cargo test` above built the debug
# binary the tests start (RUNBOX_BIN overrides it).
(cd tests/browser && npm ci --no-audit --no-fund)
RUNBOX_BIN="${RUNBOX_BIN:-${CARGO_TARGET_DIR:-target}/debug/runbox}" node --test tests/browser/

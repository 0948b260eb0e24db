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

#!/usr/bin/env bash
# Runs every check and test runbox has: formatting, lints, unit tests,
# store contract tests, and the integration tests that start the real
# server and run real sandboxed processes. Needs root (the sandbox).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing what the tests need (scripts/setup.sh)"
bash scripts/setup.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== uv, for the package tests"
# uv from PyPI into the build directory; the tests hand it to runbox
# (RUNBOX_TEST_UV). The pip fallback is tested with the system Python's pip.
uv_dir="${CARGO_TARGET_DIR:-target}/tools/uv"
if [ ! -x "$uv_dir/bin/uv" ]; then
  pip_python=python3
  python3 -c 'import pip' 2>/dev/null || pip_python=/usr/bin/python3
  "$pip_python" -m pip install --quiet --disable-pip-version-check --target "$uv_dir" "uv>=0.5,<1"
fi
RUNBOX_TEST_UV="$(cd "$uv_dir/bin" && pwd)/uv"
export RUNBOX_TEST_UV
"$RUNBOX_TEST_UV" --version

echo "== cargo test"
cargo test --workspace --locked -- --test-threads "${RUNBOX_TEST_THREADS:-4}"

echo "== schema fuzzing (schemathesis against a live server)"
# Revoking keys is left out: the fuzzer would revoke its own key.
RUNBOX_FUZZ_SECONDS="${RUNBOX_FUZZ_SECONDS:-150}" bash scripts/fuzz-api.sh

echo "== browser tests"
# The web dashboard in a real Chromium: `cargo test` above built the debug
# binary the tests start (RUNBOX_BIN overrides it).
(cd tests/browser && npm ci --no-audit --no-fund)
RUNBOX_BIN="${RUNBOX_BIN:-${CARGO_TARGET_DIR:-target}/debug/runbox}" node --test tests/browser/

echo "== Make's SDK against runbox"
# @makehq/sdk from npm, unchanged, driving the same debug binary.
(cd tests/make-sdk && npm ci --no-audit --no-fund)
RUNBOX_BIN="${RUNBOX_BIN:-${CARGO_TARGET_DIR:-target}/debug/runbox}" node --test tests/make-sdk/

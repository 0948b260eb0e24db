#!/usr/bin/env bash
# Schema fuzzing: schemathesis (PyPI) drives a live runbox from its own
# /openapi.json — every operation, checking for server errors, statuses the
# document does not list and bodies that do not match their schema.
#
#   bash scripts/fuzz-api.sh [BINARY] [extra schemathesis options…]
#
# One worker: hypothesis parses lambdas' source with `ast` from several
# threads otherwise, which CPython 3.11 can fail with "AST constructor
# recursion depth mismatch" (a crash of the tool, not a finding).
#
# BINARY defaults to the debug build. Needs root (the sandbox) and uv
# (RUNBOX_TEST_UV, as scripts/test.sh installs it). Bounded by
# RUNBOX_FUZZ_SECONDS (default 240) and a per-operation example count.
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:-${CARGO_TARGET_DIR:-target}/debug/runbox}"
shift || true
uv="${RUNBOX_TEST_UV:-${CARGO_TARGET_DIR:-target}/tools/uv/bin/uv}"
venv="${CARGO_TARGET_DIR:-target}/tools/schemathesis"
if [ ! -x "$venv/bin/st" ]; then
  "$uv" venv --quiet "$venv"
  VIRTUAL_ENV="$venv" "$uv" pip install --quiet "schemathesis>=4.3,<5"
fi

data="$(mktemp -d)"
key="rbx_fuzz_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
RUNBOX_API_KEY="$key" "$binary" serve --listen "127.0.0.1:$port" --data-dir "$data" \
  >"$data/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$data"' EXIT

status=0
"$venv/bin/st" run "http://127.0.0.1:$port/openapi.json" \
  --wait-for-schema 30 \
  --header "x-api-key: $key" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "${RUNBOX_FUZZ_EXAMPLES:-30}" \
  --max-time "${RUNBOX_FUZZ_SECONDS:-240}" \
  --request-timeout 30 \
  --workers 1 \
  --seed 1 \
  --exclude-operation-id admin_revoke_key \
  --no-color \
  "$@" || status=$?
if [ "$status" != 0 ]; then
  echo "== last lines of the server's log"
  tail -n 40 "$data/server.log"
fi
exit "$status"

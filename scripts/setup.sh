#!/usr/bin/env bash
# Installs what the tests need and a fresh Debian machine with only Rust
# lacks: the system Python and its pip, procps, and for the dashboard's
# browser tests Debian's Chromium, Node and npm. Does nothing when all is
# there. scripts/test.sh calls it first, so one command tests everything.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
# The sandbox runs the system's Python, not a user-installed one.
[ -x /usr/bin/python3 ] || need_apt+=(python3)
# The package tests install with uv (from PyPI, by scripts/test.sh) and with
# the system Python's own pip (runbox's fallback).
/usr/bin/python3 -c 'import pip' 2>/dev/null || need_apt+=(python3-pip)
command -v pgrep >/dev/null || need_apt+=(procps)
# The browser tests of the web dashboard: Debian's Chromium, Node and npm.
[ -x /usr/bin/chromium ] || need_apt+=(chromium fonts-dejavu-core)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
if [ "${#need_apt[@]}" -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_apt[@]}"
fi

rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy || true

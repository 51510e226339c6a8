#!/usr/bin/env bash
# The whole test suite: makes the Python virtualenv the interop test uses
# (target/py-venv, with the pinned packages of tests/interop/requirements.txt)
# when it is missing or out of date, then runs every Rust test in the
# fast-test profile (optimised like release, without its fat LTO).
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/py-venv
requirements=tests/interop/requirements.txt
python=${PYTHON:-python3}

if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "tests/run.sh: the Crossplane Python SDK needs Python 3.11 or later; $python is $("$python" --version 2>&1)" >&2
    exit 1
  fi
  mkdir -p target
  "$python" -m venv "$venv"
fi
# Install only when the pinned list changed since the last install.
if ! cmp -s "$requirements" "$venv/installed-requirements.txt"; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/installed-requirements.txt"
fi

cargo test --profile fast-test --locked "$@"

#!/usr/bin/env bash
# Set up the project's environment in .venv (idempotent): Python >= 3.10, embedlib installed in
# editable mode with the test and book extras. Safe to run again: it only reinstalls when
# pyproject.toml changed. Nothing outside the repository is changed (no shell profile, no global
# variable); the other scripts activate .venv themselves.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP="$VENV/.embedlib-installed"

fail() { echo "setup: $*" >&2; exit 1; }
command -v "$PYTHON" >/dev/null 2>&1 || fail "$PYTHON not found (Python >= 3.10 is needed)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || fail "$("$PYTHON" --version 2>&1) is too old: Python >= 3.10 is needed (set PYTHON=...)"

# A .venv whose interpreter no longer runs (moved, or its Python removed) is made again.
if [ -d "$VENV" ] && ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
  echo "setup: $VENV is broken; recreating it"
  rm -rf "$VENV"
fi

if [ ! -d "$VENV" ]; then
  echo "setup: creating $VENV with $("$PYTHON" --version 2>&1)"
  if ! "$PYTHON" -m venv "$VENV"; then
    rm -rf "$VENV"
    fail "'$PYTHON -m venv' failed; on Debian install the venv module first (apt-get install python3-venv)"
  fi
fi

want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing embedlib[test,book] into $VENV (a few minutes the first time)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test,book]"
  echo "$want" > "$STAMP"
else
  echo "setup: $VENV is up to date"
fi

# Bytecode for embedlib, as a regular pip install writes it: an editable install leaves it to the
# first import, which writes nothing where PYTHONDONTWRITEBYTECODE is set, so every command would
# compile embedlib's sources again (0.03-0.09 s of its start-up). Quick when nothing changed.
"$VENV/bin/python" -m compileall -q embedlib >/dev/null

# Matplotlib's font cache (kept outside .venv): building it can print a note on stderr, which in a
# notebook cell fails the book build and nbval. Build it here if it is missing.
MPLBACKEND=Agg "$VENV/bin/python" -c 'import matplotlib.pyplot' >/dev/null 2>&1

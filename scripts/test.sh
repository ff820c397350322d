#!/usr/bin/env bash
# Set up .venv, then run every test, stopping at the first step that fails:
#   1. the unit tests             pytest tests/ (all but tests/browser)
#   2. the chapters' outputs      pytest --nbval book/ (saved outputs must match a fresh run)
#   3. the book in a browser      pytest tests/browser (headless Debian Chromium)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
# shellcheck disable=SC1091
source .venv/bin/activate

# Debian's Chromium for the browser test (never `playwright install`: it downloads a browser).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "test: /usr/bin/chromium is missing and this user cannot install it (not root, no sudo)." >&2
    echo "      Install Debian's chromium package (apt-get install chromium), then run again." >&2
    exit 1
  fi
  echo "test: installing Debian's chromium for the browser test"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# NLTK corpora, if a shared copy sits beside the repository.
if [ -z "${NLTK_DATA:-}" ] && [ -d ../shared/nltk_data ]; then
  NLTK_DATA="$(cd ../shared/nltk_data && pwd)"
  export NLTK_DATA
fi

# In CI, compile every Numba kernel afresh: a cached kernel can keep an old version of a kernel
# it calls in another module.
if [ -n "${CI:-}" ]; then
  NUMBA_CACHE_DIR="$(mktemp -d)"
  export NUMBA_CACHE_DIR
  trap 'rm -rf "$NUMBA_CACHE_DIR"' EXIT
fi

echo "== 1/3 unit tests: pytest tests/"
python -m pytest tests/ --ignore=tests/browser

echo "== 2/3 chapter outputs: pytest --nbval book/"
python -m pytest --nbval --nbval-current-env book/

echo "== 3/3 the book in a browser: pytest tests/browser"
python -m pytest tests/browser

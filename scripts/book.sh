#!/usr/bin/env bash
# Set up .venv, then build the book into _build/html from scratch (--all: a fresh Sphinx
# environment, so every chapter is executed again and every warning is reported again).
# Exits non-zero on any Sphinx warning (-W, -n: broken references too), on any error in a
# notebook cell (execute.raise_on_error) and on any stderr output of a cell (execute.stderr_output).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
# shellcheck disable=SC1091
source .venv/bin/activate

# NLTK corpora for the chapters, if a shared copy sits beside the repository.
if [ -z "${NLTK_DATA:-}" ] && [ -d ../shared/nltk_data ]; then
  NLTK_DATA="$(cd ../shared/nltk_data && pwd)"
  export NLTK_DATA
fi

jupyter-book build . --all -W -n --keep-going "$@"
echo "book: built into _build/html (open _build/html/index.html)"

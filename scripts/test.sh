#!/usr/bin/env bash
# Run the whole test suite: install and start what it needs, lint, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/services.sh
./scripts/setup.sh test
# bubblewrap, a Docker engine and the sandbox images (built once, cached outside the checkout).
./scripts/sandbox-services.sh
.venv/bin/ruff check .
.venv/bin/mypy
export ARDOISE_CHROMIUM=${ARDOISE_CHROMIUM:-/usr/bin/chromium}
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
workers=${ARDOISE_TEST_WORKERS:-2}
.venv/bin/python -m pytest -n "$workers" --dist loadfile -p no:cacheprovider "$@"

#!/usr/bin/env bash
# Run Ardoise on its embedded default (SQLite, in-process tasks) with the demo school.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/ardoise demo "$@"

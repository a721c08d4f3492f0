#!/usr/bin/env bash
# Sets up what is missing, then runs every test: ./test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")"
source ./setup.sh
exec .venv/bin/python -m pytest "$@"

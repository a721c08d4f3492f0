#!/usr/bin/env bash
# Sets up what is missing, then runs every test: ./test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")"
source ./setup.sh
if [ -z "${MNIST_DIR:-}" ] && [ -d ../shared/data/mnist ]; then export MNIST_DIR=../shared/data/mnist; fi
exec .venv/bin/python -m pytest "$@"

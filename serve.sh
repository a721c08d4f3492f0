#!/usr/bin/env bash
# Serves the classifier with the shipped models: ./serve.sh [port], then open http://localhost:8000
set -euo pipefail
cd "$(dirname "$0")/Classifier"
exec python3 -m http.server "${1:-8000}"

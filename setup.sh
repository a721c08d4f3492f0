#!/usr/bin/env bash
# Idempotent set-up, sourced by test.sh: the Debian/Ubuntu packages the project needs (three browser engines among
# them), then .venv with the pinned Python packages, and tests/node_modules with the tests' pinned npm packages.
# Re-running it when nothing changed takes about a second.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

missing=()
command -v clang >/dev/null || missing+=(clang)                      # tinygrad's CPU backend compiles with it
command -v wasm-ld >/dev/null || missing+=(lld)                      # links the WebAssembly kernels export_webgpu.py builds
compgen -G "/usr/share/vulkan/icd.d/lvp_icd*.json" >/dev/null || missing+=(mesa-vulkan-drivers)  # Dawn's Vulkan without a GPU
command -v chromium >/dev/null || missing+=(chromium)                 # the browser tests drive it
command -v firefox-esr >/dev/null || missing+=(firefox-esr)           # tests/test_engines.py: Firefox, through puppeteer-core
command -v WebKitWebDriver >/dev/null || missing+=(webkit2gtk-driver) # tests/test_engines.py: WebKit (WebKitWebDriver, MiniBrowser)
command -v Xvfb >/dev/null || missing+=(xvfb)                         # the screen MiniBrowser's window needs
command -v npm >/dev/null || missing+=(npm)                           # the tests' npm packages: axe-core (the audit), puppeteer-core, ESLint, TypeScript
python3 -c "import ensurepip, venv" 2>/dev/null || missing+=(python3-venv)  # Debian's own python3 ships venv apart
if (( ${#missing[@]} )); then
  if [ "$(id -u)" = 0 ]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo); else
    echo "setup: missing system packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2; exit 1
  fi
  echo "setup: installing ${missing[*]} with apt-get" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

wanted=$(cat requirements.txt requirements-test.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/requirements.sha256 2>/dev/null)" != "$wanted" ]; then
  echo "setup: installing Python packages into .venv" >&2
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-test.txt
  echo "$wanted" > .venv/requirements.sha256
fi

wanted=$(sha256sum < tests/package-lock.json | cut -d' ' -f1)
if [ "$(cat tests/node_modules/package-lock.sha256 2>/dev/null)" != "$wanted" ]; then
  echo "setup: installing the tests' npm packages into tests/node_modules" >&2
  npm ci --prefix tests --no-audit --no-fund --loglevel=error
  echo "$wanted" > tests/node_modules/package-lock.sha256  # after npm ci, which empties the folder first
fi

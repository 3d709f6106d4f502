#!/usr/bin/env bash
# What the demo (`npm start`) needs: the npm packages, nothing else: no root, no browser, no apt.
# The test command adds Chromium and the Vulkan loader (scripts/setup-test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# npm ci when node_modules is absent or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

#!/usr/bin/env bash
# What the demo (`npm start`) needs: the npm packages and the models cut out of one of them; no
# root, no browser, no apt.
# The test command adds Chromium and the Vulkan loader (scripts/setup-test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# npm ci when node_modules is absent or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

# MediaPipe's hand models (the default of createHandEstimator()), cut out of @mediapipe/hands into
# models/ (git-ignored; `npm pack` ships them). Skipped when present and intact.
npx tsx tools/models/mediapipe.ts --out models >/dev/null

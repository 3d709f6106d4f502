#!/usr/bin/env bash
# The one test command (README, .ci/run): install what is missing, typecheck, run every test in
# Node (Dawn) and headless Chromium, then print kernel cases per runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test.sh

# Dawn in Node finds no adapter without a GPU unless Vulkan is pointed at SwiftShader.
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ] && ! ls /dev/dri/render* >/dev/null 2>&1; then
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

echo "== typecheck (tsc --strict)"
npx tsc --noEmit -p .

echo "== tests"
mkdir -p artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=artifacts/vitest.json "$@" || status=$?
node scripts/summary.mjs artifacts/vitest.json || status=1
exit $status

#!/usr/bin/env bash
# What the tests need beyond the npm packages (scripts/setup.sh): Chromium (with SwiftShader's
# Vulkan driver, used by both Chromium and Dawn in Node) and the Vulkan loader, from apt.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
# Captured first, then matched: `ldconfig -p | grep -q` under pipefail fails at random when grep
# exits early and ldconfig dies of SIGPIPE.
libs="$(ldconfig -p 2>/dev/null || true)"
[[ "$libs" == *'libvulkan.so.1 '* ]] || missing+=(libvulkan1)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup-test: installing ${missing[*]} with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup-test: missing ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

bash scripts/setup.sh

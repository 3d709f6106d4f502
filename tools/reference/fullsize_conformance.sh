#!/usr/bin/env bash
# Full-size HIU-DMTL on the engine against PyTorch (not a test; minutes on a CPU-only machine):
#   bash tools/reference/fullsize_conformance.sh [WORKDIR]  > tools/reference/fullsize_conformance.out.txt
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${1:-/tmp/hiu-fullsize-conformance}
mkdir -p "$WORK"
if [ -z "${VK_ICD_FILENAMES:-}" ] && ! ls /dev/dri/render* >/dev/null 2>&1; then
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
echo "== $(date -u +%FT%TZ) on $(nproc) cores, node $(node --version)"
/usr/bin/time -f "reference (python): wall %e s, peak RSS %M KiB" /usr/bin/python3 tools/reference/fullsize_forward.py "$WORK"
/usr/bin/time -f "hiu convert: wall %e s, peak RSS %M KiB" node --import tsx tools/convert/hiu.ts convert "$WORK/full.pth" -o "$WORK/full.safetensors" 2>&1 | grep -v '%' || true
/usr/bin/time -f "engine: wall %e s, peak RSS %M KiB" node --import tsx tools/reference/fullsize_engine.ts "$WORK/full.safetensors" "$WORK" 2>&1 | grep -v XDG_RUNTIME
rm -rf "$WORK"

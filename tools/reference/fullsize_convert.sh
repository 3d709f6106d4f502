#!/usr/bin/env bash
# Full-size conversion check (not a test; ~2 GB of /tmp, a few minutes on 2 cores):
# makes a random full-size HIU-DMTL checkpoint with the reference, converts it with `hiu convert`
# (f32 and f16), prints peak memory and time of each step, and verifies the f32 output bit for bit.
#   bash tools/reference/fullsize_convert.sh [WORKDIR]   (output saved in tools/reference/fullsize_convert.out.txt)
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${1:-/tmp/hiu-fullsize}
mkdir -p "$WORK"
CK="$WORK/hiu-dmtl-full.pth"
TSX=(node --import tsx)

measure() { # runs a command under GNU time, printing its output, then wall time and peak RSS
  local label=$1; shift
  /usr/bin/time -f "$label: wall %e s, peak RSS %M KiB" "$@"
}

echo "== $(date -u +%FT%TZ) on $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, node $(node --version)"
measure "make checkpoint (python)" /usr/bin/python3 tools/reference/fullsize_checkpoint.py "$CK"
ls -l "$CK"
measure "hiu convert f32" "${TSX[@]}" tools/convert/hiu.ts convert "$CK" -o "$WORK/hiu-f32.safetensors"
measure "hiu convert f16" "${TSX[@]}" tools/convert/hiu.ts convert "$CK" -o "$WORK/hiu-f16.safetensors" --dtype f16
ls -l "$WORK"/*.safetensors
measure "load + verify f32 (loadWeights)" "${TSX[@]}" tools/reference/fullsize_verify.ts "$WORK/hiu-f32.safetensors" "$CK.sha256.json"
measure "load f16 (loadWeights)" "${TSX[@]}" tools/reference/fullsize_verify.ts "$WORK/hiu-f16.safetensors" "$CK.sha256.json"
rm -rf "$WORK"

#!/usr/bin/env bash
# On a bare NVIDIA H100/H200 machine (device tool; payload from scripts/gpu-payload.sh, carried
# as .gpu and .gl): Dawn in Node on the NVIDIA Vulkan driver runs the trained hand pipeline
# (bench/gpu/hands-node.mjs: image and video mode, full and lite, mesh), the conv benchmark (bench/gpu/conv-node.ts:
# every conv shape of the full network, each conv2d variant and the tuner's pick, GFLOP/s against the FP32 peak), the
# full-size HIU-DMTL with random weights (bench/gpu/hiu-full.ts: f32 / f32 measured variants / f16 weights) and
# `hiu profile` of the four MediaPipe models. Tables go to stdout and to $OUT (or artifacts/gpu). Timeouts cap it at 8 minutes.
# usage (device tool): run { command: "bash scripts/gpu-run.sh", carry: [".gpu", ".gl"] }
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
out="${OUT:-$PWD/artifacts/gpu}"
mkdir -p "$out"
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ] && export VK_DRIVER_FILES="$icd" __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"; ls /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>&1 | head
g=/tmp/hiu-gpu
rm -rf "$g" && mkdir -p "$g"
if command -v xz >/dev/null; then xz -dc .gpu/payload.tar.xz | tar xf - -C "$g"
else python3 -c "import tarfile,sys; tarfile.open(sys.argv[1], 'r:xz').extractall(sys.argv[2])" .gpu/payload.tar.xz "$g"; fi
export PATH="$g/bin:$PATH"
cd "$g/app"
{ date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1; echo "node $(node --version)"; nproc; } | tee "$out/machine.txt"
timeout 120 node hands-node.mjs photos --frames 100 2>"$out/hands.log" | tee "$out/hands.md"
cp "$repo/.gpu/conv-node.mjs" . && { timeout 90 node conv-node.mjs --reps 5 2>"$out/conv.log" | tee "$out/conv.md"; tail -3 "$out/conv.log"; }
cp "$repo/.gpu/hiu-full.mjs" . && { timeout 180 node hiu-full.mjs 20 2>"$out/hiu-full.log" | tee "$out/hiu-full.md"; tail -3 "$out/hiu-full.log"; }
for m in palm_detection_lite palm_detection_full hand_landmark_lite hand_landmark_full; do
  timeout 20 node node_modules/hiu-webgpu/dist/tools/convert/bin.js profile --model "node_modules/hiu-webgpu/models/$m.tflite" --runs 50 --top 8 >"$out/profile-$m.txt" 2>&1
  echo "== $m"; head -c 3000 "$out/profile-$m.txt"
done
tail -5 "$out/hands.log"

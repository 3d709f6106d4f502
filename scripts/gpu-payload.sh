#!/usr/bin/env bash
# Packs what scripts/gpu-run.sh needs on a bare GPU machine (no Node, no npm, no network) into
# git-ignored folders that the device tool carries: .gpu/payload.tar.xz (this machine's node
# binary and a fresh install of the packed package with its dependencies, Dawn for linux-x64
# only, the bench script, the bundled photos; ~40 MB), .gpu/hiu-full.mjs and .gpu/conv-node.mjs
# (bench/gpu/hiu-full.ts and conv-node.ts, each in one file) and .gl/ (the Vulkan loader .deb).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsx scripts/build.ts   # always: a stale dist/ would ship old code
[ -d demo/public/defaults/photos ] || npx tsx demo/make-defaults.ts   # the bundled photos (generated, never committed)
t=$(mktemp -d)
npm pack --ignore-scripts --pack-destination "$t" >/dev/null
mkdir -p "$t/bin" "$t/app/node_modules/hiu-webgpu" "$t/app/node_modules/webgpu/dist" "$t/app/photos"
tar xzf "$t"/hiu-webgpu-*.tgz -C "$t/app/node_modules/hiu-webgpu" --strip-components=1
for d in fflate jpeg-js pngjs wgsl-preprocessor gl-matrix; do cp -r "node_modules/$d" "$t/app/node_modules/"; done
cp node_modules/webgpu/{index.js,package.json,types.d.ts} "$t/app/node_modules/webgpu/"
cp -r node_modules/webgpu/dist/linux-x64 "$t/app/node_modules/webgpu/dist/"
cp bench/gpu/hands-node.mjs "$t/app/"
cp demo/public/defaults/photos/*.jpg "$t/app/photos/"
cp "$(readlink -f "$(command -v node)")" "$t/bin/node"
mkdir -p .gpu .gl
for b in hiu-full conv-node; do
  npx esbuild "bench/gpu/$b.ts" --bundle --platform=node --format=esm --target=node20 --external:webgpu --outfile=".gpu/$b.mjs" --log-level=warning
done
(cd "$t" && tar cf - bin app) | xz -T2 -6 > .gpu/payload.tar.xz
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
mkdir -p /tmp/amd64/partial && apt-get $o update -qq && (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>/dev/null)
for p in /.gpu/ /.gl/; do grep -qx "$p" .git/info/exclude 2>/dev/null || echo "$p" >> .git/info/exclude; done
rm -rf "$t"
ls -la .gpu .gl

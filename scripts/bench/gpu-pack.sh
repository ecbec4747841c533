#!/usr/bin/env bash
# Packs what scripts/bench/gpu-run.sh needs on a device machine that has no Node and no registry into .gpucarry/
# (ignored by .gitignore): Node (xz), the onnxruntime-node and sharp packages with only their
# linux-x64 binaries (tar.xz), Debian's Vulkan loader and GLVND packages (what WebGPU needs there), and scripts/bench/gpu.ts bundled
# by esbuild with onnxruntime-node and sharp left external. Run from the repository root after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpucarry
node_bin=$(readlink -f node_modules/.bin/node)
if [ ! -s .gpucarry/node.xz ] || [ "$node_bin" -nt .gpucarry/node.xz ]; then xz -9 -T0 -c "$node_bin" > .gpucarry/node.xz; fi
tar -cJf .gpucarry/node_modules.tar.xz \
  node_modules/onnxruntime-node/package.json node_modules/onnxruntime-node/dist node_modules/onnxruntime-node/bin/napi-v6/linux/x64 \
  node_modules/onnxruntime-common node_modules/sharp node_modules/@img/colour node_modules/@img/sharp-linux-x64 \
  node_modules/@img/sharp-libvips-linux-x64 node_modules/detect-libc node_modules/semver
# The Vulkan loader and GLVND (the NVIDIA driver's Vulkan ICD, libGLX_nvidia.so.0, needs libGLdispatch.so.0).
if ! ls .gpucarry/libvulkan1_*.deb .gpucarry/libglvnd0_*.deb >/dev/null 2>&1; then
  mkdir -p /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  # shellcheck disable=SC2086
  apt-get $o update >/dev/null && (cd .gpucarry && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
npx esbuild scripts/bench/gpu.ts --bundle --platform=node --format=esm --target=node24 --log-level=warning \
  --external:onnxruntime-node --external:sharp --outfile=.gpucarry/gpu.mjs \
  --banner:js='import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);'
du -ch .gpucarry/* | tail -n 20

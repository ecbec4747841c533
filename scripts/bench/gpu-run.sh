#!/usr/bin/env bash
# Runs on the device machine from the repository root, with .gpucarry/ carried (scripts/bench/gpu-pack.sh):
# unpacks Node and the native packages, installs the Vulkan loader, records what the machine offers onnxruntime
# (GPU, Python onnxruntime, any CUDA provider library), probes each execution provider in its own process (a provider
# library that crashes on load loses only its probe), then benches the providers that passed (scripts/bench/gpu.ts).
# Results: $OUT/probe-EP.json, $OUT/gpu.json, $OUT/log.txt (OUT defaults to bench-results/gpu).
set -u
OUT=${OUT:-bench-results/gpu}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
W=${GPU_WORK:-/tmp/serena-gpu-run}
mkdir -p "$W"
echo "== setup $(date +%T)"
# The Vulkan loader, and GLVND (the NVIDIA Vulkan driver, libGLX_nvidia.so.0, needs libGLdispatch.so.0), where missing.
if [ -z "${GPU_NO_DEBS:-}" ]; then
  for f in .gpucarry/*.deb; do
    case $(basename "$f" | cut -d_ -f1) in
      libvulkan1) lib=libvulkan.so.1 ;; libglvnd0) lib=libGLdispatch.so.0 ;; libglx0) lib=libGLX.so.0 ;; libgl1) lib=libGL.so.1 ;;
      libegl1) lib=libEGL.so.1 ;; libopengl0) lib=libOpenGL.so.0 ;; libgles2) lib=libGLESv2.so.2 ;; *) lib=none ;;
    esac
    ldconfig -p | grep -q "$lib " || { echo "installing $(basename "$f")"; dpkg -x "$f" /; }
  done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -e "$icd" ] || icd=$(ls /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json 2>/dev/null | head -1)
if [ -n "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
if command -v xz >/dev/null; then
  [ -x "$W/node" ] || { xz -dc .gpucarry/node.xz > "$W/node" && chmod +x "$W/node"; }
  tar -xJf .gpucarry/node_modules.tar.xz -C "$W"
else # no xz: Python's lzma and tarfile
  python3 -c 'import lzma,shutil,sys,tarfile; shutil.copyfileobj(lzma.open(".gpucarry/node.xz"), open(sys.argv[1]+"/node","wb")); tarfile.open(".gpucarry/node_modules.tar.xz").extractall(sys.argv[1])' "$W" && chmod +x "$W/node"
fi
cp .gpucarry/gpu.mjs "$W/gpu.mjs"
ortlib=$W/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
echo "== environment $(date +%T)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -3
"$W/node" --version
ldconfig -p | grep -E 'libvulkan|libGLdispatch|libGLX_nvidia|libcudart|libcublas\.|libcudnn\.' | head -8
glx=$(ldconfig -p | grep -o '/.*libGLX_nvidia.so.0$' | head -1)
[ -n "$glx" ] && ldd "$glx" | grep 'not found'
python3 -c 'import onnxruntime as o; print("python onnxruntime", o.__version__, o.__file__, o.get_available_providers())' 2>&1 | tail -1
cat "${VK_DRIVER_FILES:-/nonexistent}" 2>&1 | tr -d '\n '; echo
echo "onnxruntime libraries on the machine:"
timeout 40 find / -xdev -name 'libonnxruntime*.so*' -not -path "$W/*" 2>/dev/null > "$W/ortlibs.txt"
head -20 "$W/ortlibs.txt"
for name in libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so; do
  found=$(grep "/$name\$" "$W/ortlibs.txt" | head -1)
  if [ -n "$found" ]; then echo "copying $found beside libonnxruntime.so.1"; cp "$found" "$ortlib/"; fi
done
for ep in ${GPU_EPS:-webgpu cuda}; do
  echo "== probe $ep $(date +%T)"
  GPU_EPS=$ep GPU_PROBE_ONLY=1 GPU_OUT="$W/probe-$ep" timeout "${GPU_PROBE_TIMEOUT:-90}" "$W/node" "$W/gpu.mjs"
  echo "probe $ep exit $?"
  cp "$W/probe-$ep/gpu.json" "$OUT/probe-$ep.json" 2>/dev/null
done
# Providers whose probe passed; the device loop only where its probe passed too (a crash there leaves no verdict).
read -r ok loop < <(W="$W" "$W/node" -e 'const fs=require("fs");const ok=[];let loop=1;for(const ep of process.argv.slice(1)){try{const j=JSON.parse(fs.readFileSync(`${process.env.W}/probe-${ep}/gpu.json`,"utf8"));if(j.probe[ep]?.ok){ok.push(ep);if(!j.probe[ep].deviceLoop?.ok)loop=0}}catch{}}console.log(ok.join(",")||"-",loop)' ${GPU_EPS:-webgpu cuda})
echo "== bench on [${ok}], device loop ${loop} $(date +%T)"
smi=
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used,clocks.sm,power.draw --format=csv -l 1 > "$OUT/smi.csv" 2>&1 &
  smi=$!
fi
if [ "$ok" != "-" ]; then GPU_EPS=$ok GPU_DEVICE_LOOP=$loop GPU_OUT="$OUT" "$W/node" "$W/gpu.mjs"; echo "bench exit $?"; fi
[ -n "$smi" ] && kill "$smi"
echo "== end $(date +%T)"

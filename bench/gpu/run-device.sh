#!/usr/bin/env bash
# The SLIP step benchmark on a real GPU through WebGPU (Dawn on the NVIDIA Vulkan driver), beside
# its PyTorch twin in strict fp32 (TF32 off) on the same card. Two halves:
#
#   bash bench/gpu/run-device.sh --pack     # here, on a machine with this checkout built (npm ci):
#                                           # writes .gpu-carry/ (< 60 MiB): Node.js, the Vulkan
#                                           # loader (libvulkan1 .deb), Dawn (the `webgpu` package's
#                                           # linux-x64 addon), slipkit's step benchmark bundled by
#                                           # esbuild (tfjs-core, tfjs-backend-webgpu inside), the
#                                           # benchmark specs and bench/slip_step_torch.py
#   bash bench/gpu/run-device.sh            # on the GPU machine (PyTorch with CUDA there; no Node.js,
#                                           # no Vulkan loader): unpacks .gpu-carry/ and prints the
#                                           # step benchmark's figures beside PyTorch's
#
# Options for the run (environment): MODELS="small:256 vits16:64" (model:batch pairs), STEPS=5.
# On the lent H200 machines, carry .gpu-carry (device `run` with carry: [".gpu-carry"]), e.g.
#   command: bash bench/gpu/run-device.sh
# slipkit sets navigator.gpu from Dawn before it imports @tensorflow/tfjs-backend-webgpu (the
# backend registers itself only if navigator.gpu exists then): core/backend/webgpu.ts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARRY="${CARRY_DIR:-$ROOT/.gpu-carry}"
LIMIT_MIB=60

pack() {
  cd "$ROOT"
  rm -rf "$CARRY"
  mkdir -p "$CARRY/slipkit/dist/bench" "$CARRY/slipkit/bench/specs" "$CARRY/slipkit/node_modules/webgpu/dist/linux-x64" "$CARRY/debs"
  npx tsc -p tsconfig.json
  # One copy of tfjs-core for slipkit and tfjs-backend-webgpu; the native modules stay outside:
  # Dawn is carried as it is, sharp (image decoding) is not needed by the benchmark.
  npx esbuild dist/bench/slip-step.js --bundle --platform=node --target=node20 --main-fields=module,main --log-level=error \
    --external:webgpu --alias:sharp=./bench/gpu/absent-module.js --outfile="$CARRY/slipkit/dist/bench/slip-step.js"
  node -e 'const p=require("./package.json");process.stdout.write(JSON.stringify({name:p.name,version:p.version,private:true}))' > "$CARRY/slipkit/package.json"
  cp bench/specs/*.json "$CARRY/slipkit/bench/specs/"
  cp bench/slip_step_torch.py "$CARRY/slipkit/bench/"
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$CARRY/slipkit/node_modules/webgpu/"
  cp node_modules/webgpu/dist/linux-x64/dawn.node "$CARRY/slipkit/node_modules/webgpu/dist/linux-x64/"
  xz -T0 -6 -c "$CARRY/slipkit/node_modules/webgpu/dist/linux-x64/dawn.node" > "$CARRY/dawn.node.xz"
  rm "$CARRY/slipkit/node_modules/webgpu/dist/linux-x64/dawn.node"
  # This machine's Node.js (x86-64 Linux, as the GPU machine's processor).
  [ "$(uname -m)" = x86_64 ] || { echo "run-device.sh --pack: carry an x86-64 Node.js (this is $(uname -m))" >&2; exit 1; }
  xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$CARRY/node.xz"
  (cd "$CARRY/debs" && apt-get download libvulkan1 >/dev/null) || { echo "run-device.sh --pack: apt-get download libvulkan1 failed" >&2; exit 1; }
  local mib
  mib=$(du -sm "$CARRY" | cut -f1)
  echo "packed $CARRY: ${mib} MiB"
  [ "$mib" -lt "$LIMIT_MIB" ] || { echo "run-device.sh --pack: ${mib} MiB is over the ${LIMIT_MIB} MiB limit" >&2; exit 1; }
}

run() {
  [ -d "$CARRY/slipkit" ] || { echo "run-device.sh: no $CARRY (run bash bench/gpu/run-device.sh --pack first, and carry it)" >&2; exit 2; }
  local work=/tmp/slipkit-gpu
  rm -rf "$work" && mkdir -p "$work/bin" && cp -r "$CARRY/slipkit" "$work/"
  xz -dc "$CARRY/node.xz" > "$work/bin/node" && chmod +x "$work/bin/node"
  xz -dc "$CARRY/dawn.node.xz" > "$work/slipkit/node_modules/webgpu/dist/linux-x64/dawn.node"
  # The Vulkan loader, unpacked beside the run rather than into / (LD_LIBRARY_PATH finds it).
  for deb in "$CARRY"/debs/*.deb; do dpkg -x "$deb" "$work/root"; done
  export LD_LIBRARY_PATH="$work/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  # The NVIDIA driver's Vulkan ICD, where the GPU machines' notes put it; VK_DRIVER_FILES wins if set.
  local icd
  for icd in "${VK_DRIVER_FILES:-}" /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    [ -n "$icd" ] && [ -f "$icd" ] && break
  done
  [ -f "$icd" ] || { echo "run-device.sh: no NVIDIA Vulkan ICD json found (set VK_DRIVER_FILES)" >&2; exit 2; }
  export VK_DRIVER_FILES="$icd"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
  local node="$work/bin/node" bench="$work/slipkit/dist/bench/slip-step.js"
  "$node" --version
  local steps="${STEPS:-5}"
  for pair in ${MODELS:-small:256 vits16:64}; do
    local model="${pair%%:*}" batch="${pair##*:}"
    echo "== model $model, batch $batch =="
    (cd "$work/slipkit" && "$node" "$bench" --count --model "$model" --batch "$batch" --steps "$steps") || echo "slipkit webgpu: failed"
    python3 "$work/slipkit/bench/slip_step_torch.py" --device cuda --model "$model" --batch "$batch" --steps "$steps" || echo "pytorch cuda: failed"
  done
}

case "${1:-}" in
  --pack) pack ;;
  '') run ;;
  *) echo "usage: bash bench/gpu/run-device.sh [--pack]" >&2; exit 2 ;;
esac

/**
 * Compute backends: which tfjs backend runs the tensors, chosen from the spec's `backend`
 * (auto | tensorflow | webgpu | wasm | cpu). See docs/native-backend.md for the native one.
 */
import type { Logger } from '../logger';
import { cpuCandidate } from './cpu';
import { probeAll, selectFrom } from './select';
import { tensorflowCandidate } from './tensorflow';
import type { BackendCandidate, BackendProbe, BackendRequest, BackendSelection } from './types';
import { wasmCandidate } from './wasm';
import { webgpuCandidate } from './webgpu';

export * from './types';
export { AUTO_ORDER } from './select';
export { displayPath, nativeInstall, SETUP_COMMAND, type NativeInstall, type NativeManifest } from './native-install';
export { formatGflops, measureMatmulRate, type MatmulRate } from './matmul-rate';
export { quietCpuBackend } from './tfjs-engine';
export { fusedOpsState, type FusedOpsState } from './fused-ops';
export { fusedOpsActive, setFusedOpsEnabled } from './fused';
export { describeGemm, gemmActive, gemmState, setGemmEnabled, type GemmState } from './gemm';
export { processAllocator, type ProcessAllocator } from './allocator';

/** The real backends, in AUTO_ORDER. Tests pass their own list to inject fakes. */
export const BACKEND_CANDIDATES: readonly BackendCandidate[] = [tensorflowCandidate, webgpuCandidate, wasmCandidate, cpuCandidate];

/**
 * Makes the requested backend the selected tfjs backend (see selectFrom for the rules) and
 * returns it with every probe tried. Throws BackendError when it cannot.
 */
export function selectBackend(request: BackendRequest, log: Logger, candidates: readonly BackendCandidate[] = BACKEND_CANDIDATES): Promise<BackendSelection> {
  return selectFrom(request, log, candidates);
}

/** Every backend's availability and why, in AUTO_ORDER, leaving the selected backend as it was. */
export function probeBackends(candidates: readonly BackendCandidate[] = BACKEND_CANDIDATES): Promise<BackendProbe[]> {
  return probeAll(candidates);
}

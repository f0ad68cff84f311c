/**
 * Where AdamW keeps its state and how one update runs, chosen for the active backend here so
 * that the optimizer (core/engine/optim/adamw.ts) never asks which backend is active.
 */
import { OpsAdamWSlots } from './ops-slots';
import type { AdamWSlots } from './slots';
import { TensorflowAdamWSlots, tensorflowFusedAdamAvailable } from './tensorflow-slots';

export type { AdamWMoments, AdamWSlots, AdamWStep } from './slots';
export { tensorflowFusedAdamAvailable } from './tensorflow-slots';

/**
 * `auto`: TensorFlow's fused ResourceApplyAdam on the native `tensorflow` backend (state in
 * resource variables), and elsewhere the SlipkitAdamW kernel over tf variables (WGSL on
 * webgpu, its reference on the others). The others force one (for tests and benches).
 */
export type AdamWImplementation = 'auto' | 'tf-ops' | 'tensorflow-fused';

export function createAdamWSlots(implementation: AdamWImplementation = 'auto'): AdamWSlots {
  if (implementation === 'tensorflow-fused' || (implementation === 'auto' && tensorflowFusedAdamAvailable())) return new TensorflowAdamWSlots();
  return new OpsAdamWSlots();
}

/**
 * Where AdamW keeps its state and how one update runs, chosen for the active backend here so
 * that the optimizer (core/engine/optim/adamw.ts) never asks which backend is active.
 */
import { OpsAdamWSlots } from './ops-slots';
import type { AdamWSlots } from './slots';
import { TensorflowAdamWSlots } from './tensorflow-slots';

export type { AdamWMoments, AdamWSlots, AdamWStep } from './slots';

/**
 * `auto` (= `slipkit`): the SlipkitAdamW kernel over tf variables on every backend (C++ on
 * `tensorflow`, WGSL on webgpu, its reference on the others). `tensorflow-fused` forces
 * TensorFlow's own ResourceApplyAdam on resource variables, on the native backend only: the
 * default there until 2026-12-06, kept to compare against (bench --adamw).
 */
export type AdamWImplementation = 'auto' | 'slipkit' | 'tensorflow-fused';

export function createAdamWSlots(implementation: AdamWImplementation = 'auto'): AdamWSlots {
  if (implementation === 'tensorflow-fused') return new TensorflowAdamWSlots();
  return new OpsAdamWSlots();
}

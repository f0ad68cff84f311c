/**
 * slipkit's WGSL kernels, registered as the `webgpu` backend's kernels of the fused ops
 * (core/backend/fused). SlipkitUnfoldNormGrad (weight-sized, two per block; ten buffers, more
 * than the eight storage bindings WebGPU guarantees a shader) runs its reference there.
 */
import * as tf from '@tensorflow/tfjs';
import '../fused';
import { registerFusedImplementation, type FusedImplementation } from '../fused/registry';
import { attentionGradWgsl, attentionWgsl } from './attention';
import { adamwWgsl, biasGeluWgsl, biasResidualWgsl } from './elementwise';
import { foldNormWgsl, layerNormGradWgsl, layerNormWgsl, mulColumnSumsWgsl } from './rows';

export const WGSL_KERNELS: Readonly<Record<string, FusedImplementation>> = {
  SlipkitLayerNorm: layerNormWgsl,
  SlipkitLayerNormGrad: layerNormGradWgsl,
  SlipkitLayerNormGradAdd: layerNormGradWgsl,
  SlipkitBiasGelu: biasGeluWgsl(false),
  SlipkitBiasGeluWithDerivative: biasGeluWgsl(true),
  SlipkitBiasResidual: biasResidualWgsl,
  SlipkitMulColumnSums: mulColumnSumsWgsl,
  SlipkitFoldNorm: foldNormWgsl,
  SlipkitAttention: attentionWgsl,
  SlipkitAttentionGrad: attentionGradWgsl,
  SlipkitAdamW: adamwWgsl,
};

/**
 * Dispatches recorded before the backend submits them to the queue (tfjs's default, 15, makes
 * a step of a few thousand dispatches a few hundred submissions).
 */
export const SUBMIT_BATCH = 64;

let registered = false;

/** Registers the WGSL kernels for `webgpu` (once tfjs-backend-webgpu is loaded); idempotent. */
export function registerWgslKernels(): void {
  if (registered) return;
  for (const [name, implementation] of Object.entries(WGSL_KERNELS)) registerFusedImplementation('webgpu', name, implementation);
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', SUBMIT_BATCH);
  registered = true;
}

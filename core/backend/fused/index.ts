/**
 * The fused ops (see registry.ts): one tfjs kernel name each, the backend's own kernel where
 * it has one (core/backend/native for `tensorflow`, core/backend/wgsl for `webgpu`), the
 * reference formulation elsewhere, and one registered gradient each.
 */
import * as tf from '@tensorflow/tfjs';
import { ATTENTION_GRADIENTS } from './attention';
import { COLUMN_SUMS_GRADIENTS } from './column-sums';
import { GELU_GRADIENTS } from './gelu';
import { LAYER_NORM_GRADIENTS } from './layer-norm';
import { FOLDING_GRADIENTS } from './norm-folding';
import { RESIDUAL_GRADIENTS } from './residual';

for (const config of [...LAYER_NORM_GRADIENTS, ...GELU_GRADIENTS, ...RESIDUAL_GRADIENTS, ...COLUMN_SUMS_GRADIENTS, ...FOLDING_GRADIENTS, ...ATTENTION_GRADIENTS]) {
  if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
}

export { adamwUpdate, type AdamWAttrs } from './adamw';
export { attention, attentionGrad, MASKED_SCORE, type AttentionAttrs } from './attention';
export { columnSums, mulColumnSums } from './column-sums';
export { biasScaledGelu, scaledGeluReference } from './gelu';
export { normaliseRows, normaliseRowsBackward } from './layer-norm';
export { foldNorm, unfoldNormGrad } from './norm-folding';
export { biasResidual } from './residual';
export { fusedKernelNames, fusedOpsActive, runFused, setFusedOpsEnabled, type FusedAttrs } from './registry';

import * as tf from '@tensorflow/tfjs';
import { foldNorm, unfoldNormGrad } from '../backend/fused';
import type { DenseLayer } from './dense';
import type { LayerNorm } from './layer-norm';

/**
 * A LayerNorm's scale and shift folded into the linear layer that reads its output, with
 * an optional scale per output column:
 *   (x̂·γ + β)·W + b, columns × s   =   x̂·W′ + b′,   W′ = diag(γ)·W·diag(s),   b′ = (β·W + b)·s.
 *
 * Why: the fold costs a few weight-sized ops per step, and saves two activation-sized
 * element-wise passes (× γ, + β) in the forward pass, two more where the backward pass
 * would rebuild the norm's output for the weight gradient, and the two activation-sized
 * reductions of the norm's own dγ and dβ (they come from dW′ and db′ instead; see
 * unfoldGradients). In a pre-LN transformer block both norms feed a linear layer.
 */
export interface FoldedLinear {
  weight: tf.Tensor2D;
  bias: tf.Tensor1D;
}

/** W′ and b′ (see FoldedLinear): one kernel, SlipkitFoldNorm. `columnScale` ([out], or one number for all), when given, multiplies every output column. */
export function foldNormIntoLinear(norm: LayerNorm, layer: DenseLayer, columnScale?: tf.Tensor1D | number): FoldedLinear {
  return tf.tidy(() => foldNorm(layer.weight, layer.bias, norm.weight, norm.bias, scaleVector(columnScale, layer.bias.shape[0])));
}

/** Gradients of the original parameters from those of the folded ones. */
export interface UnfoldedGradients {
  weight: tf.Tensor2D;
  bias: tf.Tensor1D;
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
}

/**
 * dW, db, dγ, dβ given dW′ = x̂ᵀ·dy′ and db′ = Σ dy′ (dy′ the gradient of x̂·W′ + b′), from
 * W′[i,j] = γᵢ·W[i,j]·sⱼ and b′[j] = sⱼ·(Σᵢ βᵢ·W[i,j] + b[j]):
 *   dW = diag(γ)·dW′·diag(s) + β ⊗ (db′·s),   db = db′·s,
 *   dγᵢ = Σⱼ dW′[i,j]·W[i,j]·sⱼ,   dβ = W·diag(s)·db′.
 * All weight-sized: no activation-sized tensor is read. One kernel, SlipkitUnfoldNormGrad.
 */
export function unfoldGradients(dFoldedWeight: tf.Tensor2D, dFoldedBias: tf.Tensor1D, norm: LayerNorm, layer: DenseLayer, columnScale?: tf.Tensor1D | number): UnfoldedGradients {
  return tf.tidy(() => unfoldNormGrad(dFoldedWeight, dFoldedBias, layer.weight, norm.weight, norm.bias, scaleVector(columnScale, layer.bias.shape[0])));
}

/** The column scale as a vector [out] (ones when none is given), as the kernels take it. */
function scaleVector(columnScale: tf.Tensor1D | number | undefined, out: number): tf.Tensor1D {
  if (columnScale === undefined || typeof columnScale === 'number') return tf.fill([out], columnScale ?? 1) as tf.Tensor1D;
  return columnScale;
}

import * as tf from '@tensorflow/tfjs';
import { fusedOpsActive, runFusedOp } from '../backend/fused-ops';
import type { DenseLayer } from './dense';
import type { LayerNorm } from './layer-norm';
import { matMul2d } from './matmul';

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

/** W′ and b′ (see FoldedLinear). `columnScale` ([out], or one number for all), when given, multiplies every output column. */
export function foldNormIntoLinear(norm: LayerNorm, layer: DenseLayer, columnScale?: tf.Tensor1D | number): FoldedLinear {
  if (fusedOpsActive()) {
    return tf.tidy(() => {
      const [weight, bias] = runFusedOp('SlipkitFoldNorm', [layer.weight, layer.bias, norm.weight, norm.bias, scaleVector(columnScale, layer.bias.shape[0])]);
      return { weight: weight as tf.Tensor2D, bias: bias as tf.Tensor1D };
    });
  }
  return tf.tidy(() => {
    const shifted = tf.add(matMul2d(tf.reshape(norm.bias, [1, -1]) as tf.Tensor2D, layer.weight), layer.bias);
    let weight = tf.mul(tf.reshape(norm.weight, [-1, 1]), layer.weight) as tf.Tensor2D;
    let bias = tf.reshape(shifted, [-1]) as tf.Tensor1D;
    if (columnScale !== undefined) {
      weight = tf.mul(weight, columnScale);
      bias = tf.mul(bias, columnScale);
    }
    return { weight, bias };
  });
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
 * All weight-sized: no activation-sized tensor is read.
 */
export function unfoldGradients(dFoldedWeight: tf.Tensor2D, dFoldedBias: tf.Tensor1D, norm: LayerNorm, layer: DenseLayer, columnScale?: tf.Tensor1D | number): UnfoldedGradients {
  if (fusedOpsActive()) {
    return tf.tidy(() => {
      const scale = scaleVector(columnScale, layer.bias.shape[0]);
      const [weight, bias, gamma, beta] = runFusedOp('SlipkitUnfoldNormGrad', [dFoldedWeight, dFoldedBias, layer.weight, norm.weight, norm.bias, scale]);
      return { weight: weight as tf.Tensor2D, bias: bias as tf.Tensor1D, gamma: gamma as tf.Tensor1D, beta: beta as tf.Tensor1D };
    });
  }
  return tf.tidy(() => {
    const scaledWeight: tf.Tensor2D = columnScale !== undefined ? tf.mul(layer.weight, columnScale) : layer.weight;
    const bias = (columnScale !== undefined ? tf.mul(dFoldedBias, columnScale) : dFoldedBias) as tf.Tensor1D;
    const weight = tf.add(
      tf.mul(tf.reshape(norm.weight, [-1, 1]), columnScale !== undefined ? tf.mul(dFoldedWeight, columnScale) : dFoldedWeight),
      matMul2d(tf.reshape(norm.bias, [-1, 1]) as tf.Tensor2D, tf.reshape(bias, [1, -1]) as tf.Tensor2D),
    ) as tf.Tensor2D;
    const gamma = tf.sum(tf.mul(dFoldedWeight, scaledWeight), 1) as tf.Tensor1D;
    const beta = tf.reshape(matMul2d(scaledWeight, tf.reshape(dFoldedBias, [-1, 1]) as tf.Tensor2D), [-1]) as tf.Tensor1D;
    return { weight, bias, gamma, beta };
  });
}

/** The column scale as a vector [out] (ones when none is given), for the fused ops. */
function scaleVector(columnScale: tf.Tensor1D | number | undefined, out: number): tf.Tensor1D {
  if (columnScale === undefined || typeof columnScale === 'number') return tf.fill([out], columnScale ?? 1) as tf.Tensor1D;
  return columnScale;
}

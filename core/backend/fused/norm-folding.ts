import * as tf from '@tensorflow/tfjs';
import { defineFusedKernel, referenceVjp, runFused } from './registry';

/**
 * SlipkitFoldNorm: a LayerNorm's γ, β [in] and a column scale s [out] folded into the linear
 * layer W [in, out], b [out] that reads its output: W′ = diag(γ)·W·diag(s), b′ = (β·W + b)·s.
 */
export const FOLD_NORM = defineFusedKernel({
  name: 'SlipkitFoldNorm',
  outputs: 2,
  reference: ([weight, bias, gamma, beta, scale]) => {
    const shifted = tf.add(tf.matMul(tf.reshape(beta!, [1, -1]), weight!), bias!);
    return [tf.mul(tf.mul(tf.reshape(gamma!, [-1, 1]), weight!), scale!), tf.mul(tf.reshape(shifted, [-1]), scale!)];
  },
});

/**
 * SlipkitUnfoldNormGrad: dW, db, dγ, dβ from dW′, db′ (see FOLD_NORM):
 *   dW = diag(γ)·dW′·diag(s) + β ⊗ (db′·s),  db = db′·s,  dγᵢ = Σⱼ dW′[i,j]·W[i,j]·sⱼ,  dβ = W·diag(s)·db′.
 */
export const UNFOLD_NORM_GRAD = defineFusedKernel({
  name: 'SlipkitUnfoldNormGrad',
  outputs: 4,
  reference: ([dFoldedWeight, dFoldedBias, weight, gamma, beta, scale]) => {
    const scaledWeight = tf.mul(weight!, scale!);
    const bias = tf.mul(dFoldedBias!, scale!);
    const dWeight = tf.add(tf.mul(tf.reshape(gamma!, [-1, 1]), tf.mul(dFoldedWeight!, scale!)), tf.matMul(tf.reshape(beta!, [-1, 1]), tf.reshape(bias, [1, -1])));
    const dGamma = tf.sum(tf.mul(dFoldedWeight!, scaledWeight), 1);
    const dBeta = tf.reshape(tf.matMul(scaledWeight, tf.reshape(dFoldedBias!, [-1, 1])), [-1]);
    return [dWeight, bias, dGamma, dBeta];
  },
});

export function foldNorm(weight: tf.Tensor2D, bias: tf.Tensor1D, gamma: tf.Tensor1D, beta: tf.Tensor1D, scale: tf.Tensor1D): { weight: tf.Tensor2D; bias: tf.Tensor1D } {
  const [w, b] = runFused(FOLD_NORM.name, [weight, bias, gamma, beta, scale]);
  return { weight: w as tf.Tensor2D, bias: b as tf.Tensor1D };
}

export function unfoldNormGrad(
  dFoldedWeight: tf.Tensor2D,
  dFoldedBias: tf.Tensor1D,
  weight: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  scale: tf.Tensor1D,
): { weight: tf.Tensor2D; bias: tf.Tensor1D; gamma: tf.Tensor1D; beta: tf.Tensor1D } {
  const [w, b, g, be] = runFused(UNFOLD_NORM_GRAD.name, [dFoldedWeight, dFoldedBias, weight, gamma, beta, scale]);
  return { weight: w as tf.Tensor2D, bias: b as tf.Tensor1D, gamma: g as tf.Tensor1D, beta: be as tf.Tensor1D };
}

/** Weight-sized ops whose gradients nothing in slipkit takes through the tape: their references' autodiff. */
export const FOLDING_GRADIENTS: tf.GradConfig[] = [referenceVjp(FOLD_NORM.name, 5), referenceVjp(UNFOLD_NORM_GRAD.name, 6)];

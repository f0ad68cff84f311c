import * as tf from '@tensorflow/tfjs';
import { l2Normalize, stopGradient } from '../../../core/toolkit';
import { requirePaired, requirePositive } from './checks';

/** Optional positive weighting of DCLW: the negative von Mises-Fisher weight with its σ. */
export interface DclWeighting {
  sigma: number;
}

/**
 * One direction of decoupled contrastive learning for normalised a, b [N, D]:
 *   ℓ_i = −w_i·⟨a_i, b_i⟩/τ + log Σ_{j≠i} (exp(⟨a_i, a_j⟩/τ) + exp(⟨a_i, b_j⟩/τ))
 * The positive pair is left out of the denominator (that is the decoupling).
 */
function dclDirection(a: tf.Tensor2D, b: tf.Tensor2D, temperature: number, weights?: tf.Tensor1D): tf.Scalar {
  const n = a.shape[0];
  const eye = tf.eye(n);
  // −∞ on the diagonal drops the positive (a·b) and the self-similarity (a·a) from the logsumexp.
  const offDiagonal = tf.mul(eye, -1e9);
  const aa = tf.add(tf.div(tf.matMul(a, a, false, true), temperature), offDiagonal);
  const ab = tf.div(tf.matMul(a, b, false, true), temperature);
  const negative = tf.logSumExp(tf.concat([aa, tf.add(ab, offDiagonal)], 1), 1);
  let positive: tf.Tensor = tf.neg(tf.sum(tf.mul(ab, eye), 1));
  if (weights) positive = tf.mul(positive, weights);
  return tf.mean(tf.add(positive, negative));
}

/**
 * DCL's negative von Mises-Fisher weights (Yeh et al. 2022, eq. 7):
 *   w_i = 2 − exp(⟨a_i, b_i⟩/σ) / mean_j exp(⟨a_j, b_j⟩/σ) = 2 − N·softmax_i(⟨a_i, b_i⟩/σ),
 * a constant (no gradient), computed on normalised embeddings.
 */
export function dclwWeights(a: tf.Tensor2D, b: tf.Tensor2D, sigma: number): tf.Tensor1D {
  return tf.tidy(() => {
    const sim = tf.div(tf.sum(tf.mul(stopGradient(a), stopGradient(b)), 1), sigma);
    return tf.sub(2, tf.mul(tf.softmax(sim), a.shape[0])) as tf.Tensor1D;
  });
}

/**
 * Decoupled contrastive loss (Yeh et al. 2022, "Decoupled Contrastive Learning", eq. 6):
 * NT-Xent without the positive pair in the denominator, symmetrised over both views and
 * averaged over the batch. With `weighting` (DCLW) the positive term of each sample is
 * scaled by dclwWeights. Needs N ≥ 2 (each sample needs a negative).
 */
export function dclLoss(a: tf.Tensor2D, b: tf.Tensor2D, temperature: number, weighting?: DclWeighting): tf.Scalar {
  requirePaired('dclLoss', ['a', 'b'], a, b, 2);
  requirePositive('dclLoss', 'temperature', temperature);
  if (weighting) requirePositive('dclLoss', 'sigma', weighting.sigma);
  return tf.tidy(() => {
    const qa = l2Normalize(a);
    const qb = l2Normalize(b);
    const wa = weighting ? dclwWeights(qa, qb, weighting.sigma) : undefined;
    const wb = weighting ? dclwWeights(qb, qa, weighting.sigma) : undefined;
    return tf.mul(tf.add(dclDirection(qa, qb, temperature, wa), dclDirection(qb, qa, temperature, wb)), 0.5) as tf.Scalar;
  });
}

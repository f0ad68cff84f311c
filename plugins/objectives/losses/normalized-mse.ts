import * as tf from '@tensorflow/tfjs';
import { requirePaired } from './checks';
import { rowCosine } from './negative-cosine';

/**
 * BYOL's normalised MSE (Grill et al. 2020, "Bootstrap Your Own Latent"): mean over the
 * rows of [N, D] predictions p and targets z of ‖p̂ − ẑ‖² = 2 − 2·cos(p, z).
 */
export function normalizedMse(p: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  requirePaired('normalizedMse', ['p', 'z'], p, z);
  return tf.tidy(() => tf.mean(tf.sub(2, tf.mul(rowCosine(p, z), 2))) as tf.Scalar);
}

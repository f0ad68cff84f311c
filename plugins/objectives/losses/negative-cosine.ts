import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from '../../../core/toolkit';
import { requirePaired } from './checks';

/** Row-wise cosine similarity [N] of two batches (each row L2-normalised first). */
export function rowCosine(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.mul(l2Normalize(a), l2Normalize(b)), 1) as tf.Tensor1D);
}

/**
 * SimSiam's D(p, z) = −mean cos(p, z) (Chen & He 2021, "Exploring Simple Siamese
 * Representation Learning"), over [N, D] predictions p and targets z; the caller stops
 * the gradient of z.
 */
export function negativeCosine(p: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  requirePaired('negativeCosine', ['p', 'z'], p, z);
  return tf.tidy(() => tf.neg(tf.mean(rowCosine(p, z))) as tf.Scalar);
}

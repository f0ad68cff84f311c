import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../contracts/trainable';
import { standardizeBatch } from './standardize';

/** PyTorch's BatchNorm1d default. */
export const BATCH_NORM_EPS = 1e-5;

/** Learnable per-feature scale (`weight`, γ) and shift (`bias`, β). */
export interface AffineParams {
  weight: tf.Variable;
  bias: tf.Variable;
}

/**
 * BatchNorm1d in training mode: batch statistics, then γ·x̂ + β when `affine` is given.
 * No running statistics exist: the heads that use it (SSL projectors and predictors) only
 * ever run in training and are dropped before evaluation, so running averages would be
 * dead state.
 */
export function batchNorm1d(x: tf.Tensor2D, affine?: AffineParams, eps = BATCH_NORM_EPS): tf.Tensor2D {
  return tf.tidy(() => {
    const normalised = standardizeBatch(x, eps);
    return affine ? (tf.add(tf.mul(normalised, affine.weight), affine.bias) as tf.Tensor2D) : normalised;
  });
}

/** Checkpoint names of an affine pair (`<prefix>.weight`, `<prefix>.bias`), never weight-decayed. */
export function affineVariables(affine: AffineParams, prefix: string): NamedVariable[] {
  return [
    { name: `${prefix}.weight`, variable: affine.weight, decay: false },
    { name: `${prefix}.bias`, variable: affine.bias, decay: false },
  ];
}

import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_EPS, standardizeBatch } from '../../../core/toolkit';
import { requireNonNegative, requirePaired, requirePositive } from './checks';
import { offDiagonalSquaredSum } from './diagonal';

export interface BarlowTwinsResult {
  loss: tf.Scalar;
  /** Σ (1 − Cᵢᵢ)². */
  onDiagonal: tf.Scalar;
  /** Σ_{i≠j} Cᵢⱼ² (before λ). */
  offDiagonal: tf.Scalar;
}

/**
 * Barlow Twins (Zbontar et al. 2021, "Barlow Twins: Self-Supervised Learning via Redundancy
 * Reduction"; facebookresearch/barlowtwins, main.py): C = BN(z1)ᵀ·BN(z2) / N with a
 * BatchNorm without γ/β (batch statistics, biased variance), loss = Σ(1 − Cᵢᵢ)² + λ·Σ_{i≠j} Cᵢⱼ².
 */
export function barlowTwinsLoss(z1: tf.Tensor2D, z2: tf.Tensor2D, lambda: number, eps = BATCH_NORM_EPS): BarlowTwinsResult {
  requirePaired('barlowTwinsLoss', ['z1', 'z2'], z1, z2, 2);
  requireNonNegative('barlowTwinsLoss', 'lambda', lambda);
  requirePositive('barlowTwinsLoss', 'eps', eps);
  return tf.tidy(() => {
    const n = z1.shape[0];
    const a = standardizeBatch(z1, eps);
    const b = standardizeBatch(z2, eps);
    const c = tf.div(tf.matMul(a, b, true, false), n) as tf.Tensor2D;
    const diag = tf.div(tf.sum(tf.mul(a, b), 0), n) as tf.Tensor1D; // Cᵢᵢ without a gather
    const onDiagonal = tf.sum(tf.square(tf.sub(diag, 1))) as tf.Scalar;
    const offDiagonal = offDiagonalSquaredSum(c, diag);
    return { loss: tf.add(onDiagonal, tf.mul(offDiagonal, lambda)) as tf.Scalar, onDiagonal, offDiagonal };
  });
}

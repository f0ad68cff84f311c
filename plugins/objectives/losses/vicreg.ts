import * as tf from '@tensorflow/tfjs';
import { requireNonNegative, requirePaired, requirePositive } from './checks';
import { offDiagonalSquaredSum } from './diagonal';

export interface VicregCoefficients {
  /** λ, on the invariance (MSE) term. */
  invariance: number;
  /** μ, on the variance (std hinge) term. */
  variance: number;
  /** ν, on the covariance term. */
  covariance: number;
  /** γ, the std each dimension is pushed up to. */
  stdTarget: number;
  /** Added to the variance before the square root. */
  eps: number;
}

export interface VicregResult {
  loss: tf.Scalar;
  invariance: tf.Scalar;
  variance: tf.Scalar;
  covariance: tf.Scalar;
}

/** Mean hinge max(0, γ − std) over dimensions, std from the unbiased variance, and the centred rows. */
function varianceTerm(x: tf.Tensor2D, stdTarget: number, eps: number): { hinge: tf.Scalar; centred: tf.Tensor2D; unbiasedVar: tf.Tensor1D } {
  const n = x.shape[0];
  const centred = tf.sub(x, tf.mean(x, 0, true)) as tf.Tensor2D;
  const unbiasedVar = tf.div(tf.sum(tf.square(centred), 0), n - 1) as tf.Tensor1D;
  const hinge = tf.mean(tf.relu(tf.sub(stdTarget, tf.sqrt(tf.add(unbiasedVar, eps))))) as tf.Scalar;
  return { hinge, centred, unbiasedVar };
}

/** Σ_{i≠j} Cov(x)ᵢⱼ² / D with the unbiased covariance of the centred rows. */
function covarianceTerm(centred: tf.Tensor2D, unbiasedVar: tf.Tensor1D): tf.Scalar {
  const [n, d] = centred.shape;
  const cov = tf.div(tf.matMul(centred, centred, true, false), n - 1) as tf.Tensor2D;
  return tf.div(offDiagonalSquaredSum(cov, unbiasedVar), d) as tf.Scalar;
}

/**
 * VICReg (Bardes, Ponce & LeCun 2022, "VICReg: Variance-Invariance-Covariance
 * Regularization for Self-Supervised Learning"; facebookresearch/vicreg, main_vicreg.py):
 * λ·MSE(x, y) + μ·[hinge(x) + hinge(y)]/2 + ν·[c(x) + c(y)], with the std and covariance
 * from unbiased estimates (so at least two rows).
 */
export function vicregLoss(x: tf.Tensor2D, y: tf.Tensor2D, k: VicregCoefficients): VicregResult {
  requirePaired('vicregLoss', ['x', 'y'], x, y, 2);
  for (const name of ['invariance', 'variance', 'covariance', 'stdTarget'] as const) requireNonNegative('vicregLoss', name, k[name]);
  requirePositive('vicregLoss', 'eps', k.eps);
  return tf.tidy(() => {
    const invariance = tf.mean(tf.square(tf.sub(x, y))) as tf.Scalar;
    const vx = varianceTerm(x, k.stdTarget, k.eps);
    const vy = varianceTerm(y, k.stdTarget, k.eps);
    const variance = tf.div(tf.add(vx.hinge, vy.hinge), 2) as tf.Scalar;
    const covariance = tf.add(covarianceTerm(vx.centred, vx.unbiasedVar), covarianceTerm(vy.centred, vy.unbiasedVar)) as tf.Scalar;
    const loss = tf.addN([tf.mul(invariance, k.invariance), tf.mul(variance, k.variance), tf.mul(covariance, k.covariance)]) as tf.Scalar;
    return { loss, invariance, variance, covariance };
  });
}

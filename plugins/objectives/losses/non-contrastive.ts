import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_EPS, standardize } from './batch-norm';
import { l2Normalize } from './contrastive';

/**
 * Losses of the methods without negatives, as pure functions of [N, D] embeddings. Each
 * follows the reference implementation named in its comment.
 */

/** Row-wise cosine similarity [N] of two batches (each row L2-normalised first). */
export function rowCosine(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.mul(l2Normalize(a), l2Normalize(b)), 1) as tf.Tensor1D);
}

/** SimSiam's D(p, z) = −mean cos(p, z) (the caller stops the gradient of z). */
export function negativeCosine(p: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(rowCosine(p, z))) as tf.Scalar);
}

/** BYOL's normalised MSE: mean over rows of ‖p̂ − ẑ‖² = 2 − 2·cos(p, z). */
export function normalizedMse(p: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sub(2, tf.mul(rowCosine(p, z), 2))) as tf.Scalar);
}

/**
 * Mean over dimensions of the (unbiased) std over the batch of the L2-normalised rows:
 * SimSiam's collapse monitor. About 1/√D for healthy outputs, 0 when they collapse.
 */
export function normalizedOutputStd(z: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const n = z.shape[0];
    const zn = l2Normalize(z);
    const centred = tf.sub(zn, tf.mean(zn, 0, true));
    const variance = tf.div(tf.sum(tf.square(centred), 0), n - 1);
    return tf.mean(tf.sqrt(variance)) as tf.Scalar;
  });
}

/** Σᵢⱼ m²ᵢⱼ − Σᵢ d²ᵢ: the squared off-diagonal mass of a square matrix m whose diagonal is d. */
function offDiagonalSquaredSum(m: tf.Tensor2D, diag: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sub(tf.sum(tf.square(m)), tf.sum(tf.square(diag))) as tf.Scalar);
}

export interface BarlowTwinsResult {
  loss: tf.Scalar;
  /** Σ (1 − Cᵢᵢ)². */
  onDiagonal: tf.Scalar;
  /** Σ_{i≠j} Cᵢⱼ² (before λ). */
  offDiagonal: tf.Scalar;
}

/**
 * Barlow Twins (facebookresearch/barlowtwins, main.py): C = BN(z1)ᵀ·BN(z2) / N with a
 * BatchNorm without γ/β (batch statistics, biased variance), loss = Σ(1 − Cᵢᵢ)² + λ·Σ_{i≠j} Cᵢⱼ².
 */
export function barlowTwinsLoss(z1: tf.Tensor2D, z2: tf.Tensor2D, lambda: number, eps = BATCH_NORM_EPS): BarlowTwinsResult {
  return tf.tidy(() => {
    const n = z1.shape[0];
    const a = standardize(z1, eps);
    const b = standardize(z2, eps);
    const c = tf.div(tf.matMul(a, b, true, false), n) as tf.Tensor2D;
    const diag = tf.div(tf.sum(tf.mul(a, b), 0), n) as tf.Tensor1D; // Cᵢᵢ without a gather
    const onDiagonal = tf.sum(tf.square(tf.sub(diag, 1))) as tf.Scalar;
    const offDiagonal = offDiagonalSquaredSum(c, diag);
    return { loss: tf.add(onDiagonal, tf.mul(offDiagonal, lambda)) as tf.Scalar, onDiagonal, offDiagonal };
  });
}

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
 * VICReg (facebookresearch/vicreg, main_vicreg.py): λ·MSE(x, y) + μ·[hinge(x) + hinge(y)]/2
 * + ν·[c(x) + c(y)], with the std and covariance from unbiased estimates.
 */
export function vicregLoss(x: tf.Tensor2D, y: tf.Tensor2D, k: VicregCoefficients): VicregResult {
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

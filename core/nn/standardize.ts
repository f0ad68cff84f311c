import * as tf from '@tensorflow/tfjs';
import { standardizeGlobalBatch, syncedBatchStatsWorld } from '../distributed/sync-batch-stats';

/** Per-column statistics of an [N, D] batch, shaped [1, D] so they broadcast over rows. */
export interface ColumnStats {
  mean: tf.Tensor2D;
  /** 1 / sqrt(biased variance + eps), or 1 where the column is (nearly) constant. */
  invStd: tf.Tensor2D;
}

export interface ColumnStatsOptions {
  /** Added to the variance under the root (BatchNorm's eps). Default 0. */
  eps?: number;
  /** A column whose std is below this is only centred, never blown up (constant features stay 0). Default 0. */
  minStd?: number;
}

/** Mean and inverse standard deviation (biased variance, as BatchNorm and sklearn's StandardScaler) of each column. */
export function columnStats(x: tf.Tensor2D, options: ColumnStatsOptions = {}): ColumnStats {
  const { eps = 0, minStd = 0 } = options;
  return tf.tidy(() => {
    const mean = tf.mean(x, 0, true) as tf.Tensor2D;
    const variance = tf.mean(tf.square(tf.sub(x, mean)), 0, true);
    const invStd = tf.rsqrt(tf.add(variance, eps)) as tf.Tensor2D;
    if (!(minStd > 0)) return { mean, invStd };
    return { mean, invStd: tf.where(tf.less(tf.sqrt(variance), minStd), tf.onesLike(invStd), invStd) as tf.Tensor2D };
  });
}

/**
 * (x − mean) / std per column: the one standardisation of slipkit. With x's own
 * statistics (`columnStats(x, { eps })`) it is BatchNorm1d in training mode without γ/β,
 * and gradients flow through the statistics; with statistics fitted on another set it is
 * a StandardScaler (a linear probe standardising test features with training statistics).
 */
export function standardize(x: tf.Tensor2D, stats: ColumnStats): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.sub(x, stats.mean), stats.invStd) as tf.Tensor2D);
}

/**
 * x standardised by its own column statistics, (x − mean) / sqrt(biased variance + eps):
 * BatchNorm1d in training mode without γ/β, and Barlow Twins' per-view normalisation. The
 * same maths as standardize(x, columnStats(x, { eps })), for the training path: the centred
 * batch is computed once and serves both the variance and the output, so each step does one
 * subtraction, not two, and the backward pass has one path through it.
 */
export function standardizeBatch(x: tf.Tensor2D, eps = 0): tf.Tensor2D {
  // In a data-parallel step of a local objective: statistics over every rank's rows (SyncBatchNorm).
  const world = syncedBatchStatsWorld();
  if (world) return standardizeGlobalBatch(x, eps, world);
  return tf.tidy(() => {
    const centred = tf.sub(x, tf.mean(x, 0, true));
    const variance = tf.mean(tf.square(centred), 0, true);
    return tf.mul(centred, tf.rsqrt(tf.add(variance, eps))) as tf.Tensor2D;
  });
}

export function disposeColumnStats(stats: ColumnStats): void {
  tf.dispose([stats.mean, stats.invStd]);
}

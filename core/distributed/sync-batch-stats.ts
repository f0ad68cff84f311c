import * as tf from '@tensorflow/tfjs';
import { allReduceSumWithGrad } from './tensor-collectives';
import type { World } from './world';

/**
 * The world whose ranks share batch statistics while a local objective runs (SyncBatchNorm):
 * set by the engine around each objective that sees only this rank's rows, unset around
 * objectives that already see the gathered global batch (whose statistics are global).
 */
let statsWorld: World | undefined;

export function withSyncedBatchStats<T>(world: World | undefined, fn: () => T): T {
  const before = statsWorld;
  statsWorld = world && world.size > 1 ? world : undefined;
  try {
    return fn();
  } finally {
    statsWorld = before;
  }
}

/** The world batch statistics are synchronised over now, if any. */
export function syncedBatchStatsWorld(): World | undefined {
  return statsWorld;
}

/**
 * standardizeBatch over the global batch: column mean and biased variance from sums
 * all-reduced over the ranks (each rank holds the same number of rows), with gradients
 * through the statistics as in PyTorch's SyncBatchNorm.
 */
export function standardizeGlobalBatch(x: tf.Tensor2D, eps: number, world: World): tf.Tensor2D {
  return tf.tidy(() => {
    const n = x.shape[0] * world.size;
    const mean = tf.div(allReduceSumWithGrad(world, tf.sum(x, 0, true)), n);
    const centred = tf.sub(x, mean);
    const variance = tf.div(allReduceSumWithGrad(world, tf.sum(tf.square(centred), 0, true)), n);
    return tf.mul(centred, tf.rsqrt(tf.add(variance, eps))) as tf.Tensor2D;
  });
}

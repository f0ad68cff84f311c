import type { Dataset } from '../contracts/dataset';
import type { EvalContext } from '../contracts/evaluator';
import { DataLoader, type Batch } from '../data/loader';
import type { Logger } from '../logger';
import { datasetSubset } from './subset';

export interface EvalReadOptions {
  /** Side the images are decoded to: the model's imageSize. */
  imageSize: number;
  batchSize: number;
  workers: number;
  /** Read at most this many samples (a fixed subset, see datasetSubset). */
  limit?: number;
  log: Logger;
  /** The bad-sample rule's limit (FailureTracker), as in training: the experiment's data.maxFailureFraction. */
  maxFailureFraction: number;
}

/** The bad-sample limit when the context gives none: data.maxFailureFraction's default. */
export const DEFAULT_MAX_FAILURE_FRACTION = 0.01;
const PREFETCH_BATCHES = 2;

/** The dataset, cut to `limit` samples when one is given. */
export function limitedDataset(dataset: Dataset, limit: number | undefined): Dataset {
  return limit === undefined ? dataset : datasetSubset(dataset, limit);
}

/**
 * One deterministic pass over a dataset (no shuffle, no repeat, last partial batch kept).
 * `visit` may not keep `batch.images`: it is disposed as soon as `visit` returns.
 * @returns number of samples visited
 */
export async function forEachBatch(dataset: Dataset, options: EvalReadOptions, visit: (batch: Batch) => void | Promise<void>): Promise<number> {
  const loader = new DataLoader(limitedDataset(dataset, options.limit), {
    batchSize: options.batchSize,
    loadSize: options.imageSize,
    workers: options.workers,
    prefetchBatches: PREFETCH_BATCHES,
    seed: 0,
    shuffle: false,
    repeat: false,
    dropLast: false,
    maxFailureFraction: options.maxFailureFraction,
    log: options.log,
  });
  let seen = 0;
  try {
    for (let batch = await loader.next(); batch; batch = await loader.next()) {
      try {
        await visit(batch);
        seen += batch.labels.length;
      } finally {
        batch.images.dispose();
      }
    }
    // The pass is over, within the rule (it throws otherwise): say how many were skipped.
    if (loader.failureReport().failed) options.log.warn(loader.failureSummary());
  } finally {
    await loader.close();
  }
  return seen;
}

/** How an evaluator reads a dataset: its batch size, workers and limit, at the model's image size, under the context's bad-sample limit. */
export function evalReadOptions(
  options: { batchSize: number; workers: number },
  imageSize: number,
  limit: number | undefined,
  ctx: Pick<EvalContext, 'log' | 'maxFailureFraction'>,
): EvalReadOptions {
  const maxFailureFraction = ctx.maxFailureFraction ?? DEFAULT_MAX_FAILURE_FRACTION;
  return { imageSize, batchSize: options.batchSize, workers: options.workers, limit, log: ctx.log, maxFailureFraction };
}

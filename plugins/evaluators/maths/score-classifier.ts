import * as tf from '@tensorflow/tfjs';
import { type Dataset, type EvalReadOptions, forEachBatch } from '../../../core/toolkit';
import { ClassificationTally } from './classification-tally';

/** How a classifier is scored (see ClassificationTally). */
export interface ClassifierScoring {
  numClasses: number;
  /** k values reported as top<k>. */
  topK: readonly number[];
  /** Also report top<k>_mean_per_class. */
  meanPerClass: boolean;
}

/**
 * Scores a classifier on one deterministic pass over a labelled dataset. `classScores`
 * maps a batch of images to [B, numClasses] scores (higher is better); it runs in a tidy
 * and its scores are freed once tallied, so only the running counts outlive a batch.
 * @returns ClassificationTally's metrics: top<k> (and top<k>_mean_per_class when asked)
 */
export async function scoreClassifier(
  dataset: Dataset,
  read: EvalReadOptions,
  scoring: ClassifierScoring,
  classScores: (images: tf.Tensor4D) => tf.Tensor2D,
): Promise<Record<string, number>> {
  const tally = new ClassificationTally(scoring.numClasses, scoring.topK, scoring.meanPerClass);
  await forEachBatch(dataset, read, async (batch) => {
    const scores = tf.tidy(() => classScores(batch.images));
    try {
      await tally.add(scores, batch.labels);
    } finally {
      scores.dispose();
    }
  });
  return tally.metrics();
}

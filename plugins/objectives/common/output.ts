import * as tf from '@tensorflow/tfjs';
import type { ObjectiveOutput } from '../../../core/toolkit';

/**
 * Runs an objective's computation in a tf.tidy and returns its loss and metrics as the
 * tidy's result, so every intermediate is freed and the outputs belong to the caller's
 * scope (a caller that drops a metric inside its own tidy frees it too).
 *
 * Read the ObjectiveInputs (features, embeddings) BEFORE calling this: the engine memoises
 * them across objectives, and a tensor first created inside this tidy would be freed at
 * its end, under the next objective's feet.
 */
export function tidyOutput(compute: () => ObjectiveOutput): ObjectiveOutput {
  const names: string[] = [];
  const [loss, ...values] = tf.tidy(() => {
    const out = compute();
    names.push(...Object.keys(out.metrics));
    return [out.loss, ...names.map((n) => out.metrics[n])];
  }) as tf.Scalar[];
  return { loss, metrics: Object.fromEntries(names.map((n, i) => [n, values[i]])) };
}

import * as tf from '@tensorflow/tfjs';
import { withCustomGrad } from './custom-grad';

/**
 * Rows of `table` [V, D] at int32 `ids` (any shape) → [...ids.shape, D].
 *
 * tf.gather's own gradient uses UnsortedSegmentSum, which the wasm backend lacks. This
 * one scatters the output gradient into a dense [V, D] with ScatterNd (duplicate ids are
 * summed; every backend has it), which costs O(tokens·D) — a one-hot matMul would cost
 * O(tokens·V·D), far too much for CLIP's 49408-token vocabulary.
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  const [vocab, dim] = table.shape;
  return withCustomGrad<tf.Tensor>([table], (save) => {
    const flatIds = tf.reshape(ids, [-1, 1]);
    save([flatIds]);
    return {
      value: tf.reshape(tf.gather(table, tf.reshape(flatIds, [-1])), [...ids.shape, dim]),
      gradients: (dy, [indices]) => [tf.tidy(() => tf.scatterND(indices, tf.reshape(dy, [-1, dim]), [vocab, dim]))],
    };
  });
}

import * as tf from '@tensorflow/tfjs';

export interface KnnOptions {
  /** Neighbours that vote (clamped to the memory size). */
  k: number;
  /** Votes are weighted by exp(similarity / temperature). */
  temperature: number;
  numClasses: number;
}

/**
 * Weighted k-nearest-neighbour class scores, as in the InstDisc / DINO kNN protocol:
 * the k most cosine-similar memory rows each vote for their label with weight
 * exp(sim / T). Both `memory` [M, D] and `queries` [B, D] must already be L2-normalised,
 * so that their dot product is the cosine similarity.
 *
 * @param memoryLabels int32 [M]
 * @returns [B, numClasses] summed vote weights
 */
export function knnClassScores(memory: tf.Tensor2D, memoryLabels: tf.Tensor1D, queries: tf.Tensor2D, options: KnnOptions): tf.Tensor2D {
  const k = Math.min(options.k, memory.shape[0]);
  return tf.tidy(() => {
    const similarity = tf.matMul(queries, memory, false, true);
    const { values, indices } = tf.topk(similarity, k, true);
    const weights = tf.exp(tf.div(values, options.temperature));
    const neighbourLabels = tf.gather(memoryLabels, indices);
    const votes = tf.oneHot(neighbourLabels, options.numClasses);
    return tf.sum(tf.mul(votes, tf.expandDims(weights, 2)), 1) as tf.Tensor2D;
  });
}

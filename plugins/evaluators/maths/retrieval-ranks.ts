import * as tf from '@tensorflow/tfjs';

/**
 * For paired, L2-normalised embeddings (query i belongs with target i), the rank of each
 * query's own target among all targets by cosine similarity: 0 is best. Ties go to the
 * lower target index, as in a stable descending sort. Queries are processed `chunkSize`
 * rows at a time so the similarity matrix is never held whole.
 *
 * @param queries [N, E]
 * @param targets [N, E]
 */
export async function pairedRetrievalRanks(queries: tf.Tensor2D, targets: tf.Tensor2D, chunkSize: number): Promise<Int32Array> {
  const n = queries.shape[0];
  if (targets.shape[0] !== n) throw new Error(`pairedRetrievalRanks: ${n} queries but ${targets.shape[0]} targets`);
  const ranks = new Int32Array(n);
  for (let start = 0; start < n; start += chunkSize) {
    const size = Math.min(chunkSize, n - start);
    const chunkRanks = tf.tidy(() => {
      const similarity = tf.matMul(queries.slice([start, 0], [size, -1]), targets, false, true);
      const own = tf.range(start, start + size, 1, 'int32');
      // The own-target similarity is read from the same matrix, so it compares equal to itself.
      const ownSimilarity = tf.sum(tf.mul(similarity, tf.oneHot(own, n)), 1, true);
      const targetIndex = tf.range(0, n, 1, 'int32').reshape([1, n]);
      const before = tf.less(targetIndex, own.reshape([size, 1]));
      const outranks = tf.logicalOr(tf.greater(similarity, ownSimilarity), tf.logicalAnd(tf.equal(similarity, ownSimilarity), before));
      return tf.sum(tf.cast(outranks, 'int32'), 1);
    });
    try {
      ranks.set((await chunkRanks.data()) as Int32Array, start);
    } finally {
      chunkRanks.dispose();
    }
  }
  return ranks;
}

/** Fraction of ranks below k: recall@k when each query has exactly one relevant target. */
export function recallAtK(ranks: Int32Array, k: number): number {
  if (ranks.length === 0) return Number.NaN;
  let hits = 0;
  for (const r of ranks) if (r < k) hits++;
  return hits / ranks.length;
}

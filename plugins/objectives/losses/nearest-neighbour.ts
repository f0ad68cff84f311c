import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from '../../../core/toolkit';
import { requireEmbeddings, requirePaired, requirePositive } from './checks';
import { diagonalCrossEntropy } from './diagonal';

/**
 * The nearest rows as a custom-gradient op with zero gradients: inside tfjs's customGrad the
 * forward ops are not taped, so the int32 indices of argMax never meet the gradient tape, and
 * nothing is read back to the host (no synchronous read on a GPU backend).
 */
const nearestRows = tf.customGrad((...args: Array<tf.Tensor | ((save: tf.Tensor[]) => void)>) => {
  const [queries, support] = args as [tf.Tensor2D, tf.Tensor2D];
  const sim = tf.matMul(l2Normalize(queries), l2Normalize(support), false, true);
  return { value: tf.gather(support, tf.argMax(sim, 1)), gradFunc: () => [tf.zerosLike(queries), tf.zerosLike(support)] };
});

/**
 * For each row of `queries` [N, D], the row of `support` [Q, D] with the highest cosine
 * similarity, as stored (not normalised): NNCLR's NN(z, Q), lightly's NNMemoryBankModule.
 * No gradient flows into the result.
 */
export function nearestNeighbours(queries: tf.Tensor2D, support: tf.Tensor2D): tf.Tensor2D {
  requireEmbeddings('nearestNeighbours', 'queries', queries);
  requireEmbeddings('nearestNeighbours', 'support', support);
  return nearestRows(queries, support) as tf.Tensor2D;
}

/**
 * NNCLR's InfoNCE (Dwibedi et al. 2021, eq. 2): the positive of neighbours_i is
 * predictions_i, its negatives the other rows of predictions (the other view only):
 *   ℓ = mean_i −log softmax_j(⟨n̂_i, p̂_j⟩/τ)_i   on L2-normalised rows.
 */
export function nnclrInfoNce(neighbours: tf.Tensor2D, predictions: tf.Tensor2D, temperature: number): tf.Scalar {
  requirePaired('nnclrInfoNce', ['neighbours', 'predictions'], neighbours, predictions);
  requirePositive('nnclrInfoNce', 'temperature', temperature);
  return tf.tidy(() => diagonalCrossEntropy(tf.div(tf.matMul(l2Normalize(neighbours), l2Normalize(predictions), false, true), temperature) as tf.Tensor2D));
}

import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from '../../../core/toolkit';
import { requirePaired, requirePositive } from './checks';
import { diagonalCrossEntropy, type ContrastiveResult } from './diagonal';

/** Added to the self-similarity logits to remove them from the softmax (SLIP uses 1e9). */
const SELF_MASK = 1e9;

/**
 * SimCLR's NT-Xent (Chen et al. 2020, "A Simple Framework for Contrastive Learning of
 * Visual Representations") exactly as SLIP computes it (SIMCLRLoss): over L2-normalised
 * a, b [N, D], row i of view a is scored against [a·bᵀ | a·aᵀ]/τ, its own self-similarity
 * pushed to −1e9, with the positive at column i; likewise for view b; the loss is the mean
 * of the two cross-entropies (so every one of the 2N samples counts once). `logits` is [ab | aa].
 */
export function ntXentLoss(a: tf.Tensor2D, b: tf.Tensor2D, temperature: number): ContrastiveResult {
  requirePaired('ntXentLoss', ['a', 'b'], a, b);
  requirePositive('ntXentLoss', 'temperature', temperature);
  return tf.tidy(() => {
    const qa = l2Normalize(a);
    const qb = l2Normalize(b);
    const mask = tf.mul(tf.eye(a.shape[0]), SELF_MASK);
    const sim = (x: tf.Tensor2D, y: tf.Tensor2D) => tf.div(tf.matMul(x, y, false, true), temperature) as tf.Tensor2D;
    const logitsA = tf.concat([sim(qa, qb), tf.sub(sim(qa, qa), mask)], 1) as tf.Tensor2D;
    const logitsB = tf.concat([sim(qb, qa), tf.sub(sim(qb, qb), mask)], 1) as tf.Tensor2D;
    const loss = tf.div(tf.add(diagonalCrossEntropy(logitsA), diagonalCrossEntropy(logitsB)), 2) as tf.Scalar;
    return { loss, logits: logitsA };
  });
}

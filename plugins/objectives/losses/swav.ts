import * as tf from '@tensorflow/tfjs';
import { stopGradient, TrainingError } from '../../../core/toolkit';
import { requireEmbeddings, requirePositive } from './checks';

export interface SinkhornOptions {
  iterations: number;
  epsilon: number;
}

/**
 * SwAV's Sinkhorn-Knopp (facebookresearch/swav main_swav.py distributed_sinkhorn, one
 * process): soft assignments [B, K] of B samples to K prototypes from their scores, with
 * equal mass per prototype and per sample:
 *   Q = exp(scores/ε) / Σ exp(scores/ε); repeat: Q /= Σ_b Q, Q /= K; Q /= Σ_k Q, Q /= B; Q *= B.
 * (lightly's sinkhorn skips the `Q /= K`, which the next normalisation cancels.) No gradient.
 */
export function sinkhorn(scores: tf.Tensor2D, options: SinkhornOptions): tf.Tensor2D {
  requireEmbeddings('sinkhorn', 'scores', scores);
  requirePositive('sinkhorn', 'epsilon', options.epsilon);
  return tf.tidy(() => {
    const [batch, prototypes] = scores.shape;
    const logits = tf.div(stopGradient(scores), options.epsilon);
    // exp(x − max) / Σ exp(x − max) equals exp(x) / Σ exp(x) and cannot overflow.
    let q: tf.Tensor = tf.exp(tf.sub(logits, tf.max(logits)));
    q = tf.div(q, tf.sum(q));
    for (let it = 0; it < options.iterations; it++) {
      q = tf.div(tf.div(q, tf.sum(q, 0, true)), prototypes);
      q = tf.div(tf.div(q, tf.sum(q, 1, true)), batch);
    }
    return tf.mul(q, batch) as tf.Tensor2D;
  });
}

/**
 * SwAV's swapped prediction (Caron et al. 2020; main_swav.py): for each view i that
 * assignments are computed for (the global crops), codes q_i = sinkhorn(scores_i) (over the
 * queue's scores too when `queueScores[i]` is given, keeping the batch's rows), predicted from
 * every other view v by its softmax at temperature τ:
 *   loss = mean_i Σ_{v ≠ i} −mean_b Σ_k q_i·log_softmax(scores_v/τ) / (V − 1)
 * `scores` are prototype scores of every view, the assigned views first.
 */
export function swavLoss(scores: readonly tf.Tensor2D[], assignedViews: number, temperature: number, sinkhornOptions: SinkhornOptions, queueScores?: readonly tf.Tensor2D[]): tf.Scalar {
  requirePositive('swavLoss', 'temperature', temperature);
  if (scores.length < 2 || assignedViews < 1 || assignedViews > scores.length) {
    throw new TrainingError(`swavLoss: needs ≥ 2 views and 1 ≤ assigned views ≤ views, got ${scores.length} and ${assignedViews}`);
  }
  scores.forEach((s, i) => requireEmbeddings('swavLoss', `scores ${i}`, s));
  return tf.tidy(() => {
    const batch = scores[0].shape[0];
    const logProbs = scores.map((s) => tf.logSoftmax(tf.div(s, temperature)));
    const terms: tf.Scalar[] = [];
    for (let i = 0; i < assignedViews; i++) {
      const own = stopGradient(scores[i]);
      const withQueue = queueScores ? (tf.concat([own, stopGradient(queueScores[i])], 0) as tf.Tensor2D) : own;
      const q = tf.slice(sinkhorn(withQueue, sinkhornOptions), [0, 0], [batch, -1]);
      const sub = logProbs.filter((_, v) => v !== i).map((logP) => tf.neg(tf.mean(tf.sum(tf.mul(q, logP), 1))));
      terms.push(tf.div(tf.addN(sub), scores.length - 1) as tf.Scalar);
    }
    return tf.div(tf.addN(terms), assignedViews) as tf.Scalar;
  });
}

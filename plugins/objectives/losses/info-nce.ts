import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from '../../../core/toolkit';
import { requirePaired, requirePositive } from './checks';
import { diagonalCrossEntropy, type ContrastiveResult } from './diagonal';

/**
 * MoCo v3's contrastive loss (Chen, Xie & He 2021, "An Empirical Study of Training
 * Self-Supervised Vision Transformers"; moco/builder.py, contrastive_loss): InfoNCE of
 * queries q against keys k [N, D] over L2-normalised rows, logits q̂·k̂ᵀ/τ with the positive
 * on the diagonal, multiplied by 2τ as the official code does (it keeps the gradient scale
 * independent of τ).
 */
export function mocoInfoNceLoss(q: tf.Tensor2D, k: tf.Tensor2D, temperature: number): ContrastiveResult {
  requirePaired('mocoInfoNceLoss', ['q', 'k'], q, k);
  requirePositive('mocoInfoNceLoss', 'temperature', temperature);
  return tf.tidy(() => {
    const logits = tf.div(tf.matMul(l2Normalize(q), l2Normalize(k), false, true), temperature) as tf.Tensor2D;
    const loss = tf.mul(diagonalCrossEntropy(logits), 2 * temperature) as tf.Scalar;
    return { loss, logits };
  });
}

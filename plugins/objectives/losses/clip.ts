import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from '../../../core/toolkit';
import { requirePaired, requirePositive } from './checks';
import { diagonalCrossEntropy, type ContrastiveResult } from './diagonal';

/**
 * CLIP's symmetric InfoNCE (Radford et al. 2021, "Learning Transferable Visual Models From
 * Natural Language Supervision"; SLIP's CLIPLoss): logits = scale · îᵀt̂ over L2-normalised
 * image and text embeddings [N, D]; the mean of the image→text and text→image
 * cross-entropies. `logits` is logits_per_image. A tensor `logitScale` (learned) is not
 * checked: reading it back would stall the step.
 */
export function clipLoss(image: tf.Tensor2D, text: tf.Tensor2D, logitScale: tf.Scalar | number): ContrastiveResult {
  requirePaired('clipLoss', ['image', 'text'], image, text);
  if (typeof logitScale === 'number') requirePositive('clipLoss', 'logitScale', logitScale);
  return tf.tidy(() => {
    const logits = tf.mul(tf.matMul(l2Normalize(image), l2Normalize(text), false, true), logitScale) as tf.Tensor2D;
    const loss = tf.div(tf.add(diagonalCrossEntropy(logits), diagonalCrossEntropy(tf.transpose(logits))), 2) as tf.Scalar;
    return { loss, logits };
  });
}

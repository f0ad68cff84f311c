import * as tf from '@tensorflow/tfjs';

/** The smallest norm divided by, as torch.nn.functional.normalize's default. */
export const L2_NORM_EPS = 1e-12;

/**
 * Rows of an [N, D] batch divided by their L2 norm, the norm floored at `eps`
 * (torch.nn.functional.normalize(x, dim=1)). The one L2 normalisation of slipkit: the
 * contrastive losses, the collapse monitors and the evaluators all call it, so a loss and
 * the evaluation that scores its embeddings normalise identically.
 */
export function l2Normalize(x: tf.Tensor2D, eps = L2_NORM_EPS): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), eps)) as tf.Tensor2D);
}

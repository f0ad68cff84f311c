import * as tf from '@tensorflow/tfjs';

/** Smallest norm divided by, as torch.nn.functional.normalize(eps=1e-12). */
const NORM_EPS = 1e-12;

/** Each row divided by its L2 norm. */
export function l2NormalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), NORM_EPS)));
}

import * as tf from '@tensorflow/tfjs';

/** Per-feature mean and standard deviation, fitted on training features. */
export interface Standardizer {
  mean: tf.Tensor1D;
  std: tf.Tensor1D;
}

/** Features whose spread is below this are only centred (constant features stay 0). */
const MIN_STD = 1e-6;

export function fitStandardizer(features: tf.Tensor2D): Standardizer {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(features, 0);
    const std = tf.where(tf.less(tf.sqrt(variance), MIN_STD), tf.onesLike(variance), tf.sqrt(variance));
    return { mean: mean as tf.Tensor1D, std: std as tf.Tensor1D };
  });
}

export function standardize(s: Standardizer, features: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(tf.sub(features, s.mean), s.std));
}

export function disposeStandardizer(s: Standardizer): void {
  tf.dispose([s.mean, s.std]);
}

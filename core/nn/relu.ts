import * as tf from '@tensorflow/tfjs';
import { withCustomGrad } from './custom-grad';

/**
 * ReLU as one tape node that keeps its output, with the gradient dy·[y > 0]. tfjs's own
 * gradient is dy·step(x), and tfjs-node builds Step from six ops (NaN checks, fills, two
 * selects): about 4 ms per [64, 4096] head activation on 2 cores, against well under 1 ms here.
 */
export function relu<T extends tf.Tensor>(x: T): T {
  return withCustomGrad<T>([x], (save) => {
    const y = tf.relu(x);
    save([y]);
    return {
      value: y,
      gradients: (dy, [output]) => [tf.tidy(() => tf.mul(dy, tf.cast(tf.greater(output, 0), dy.dtype)))],
    };
  });
}

import * as tf from '@tensorflow/tfjs';
import { withCustomGrad } from './custom-grad';

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Exact GELU, x·Φ(x) (PyTorch's nn.GELU() default), as one tape node that keeps only its
 * input. The plain formulation (`gelu` in ./linear) keeps four intermediates of the
 * same size for its gradient; in a transformer MLP those are [tokens, 4·width] each.
 * d/dx = Φ(x) + x·φ(x).
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  return withCustomGrad<T>([x], (save) => {
    save([x]);
    return {
      value: tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, INV_SQRT2)))) as T,
      gradients: (dy, [input]) => [
        tf.tidy(() => {
          const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(input, INV_SQRT2))));
          const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(tf.square(input), -0.5)));
          return tf.mul(dy, tf.add(cdf, tf.mul(input, pdf)));
        }),
      ],
    };
  });
}

import * as tf from '@tensorflow/tfjs';
import { withCustomGrad } from './custom-grad';

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Φ(x), the standard normal CDF: GELU(x) = x·Φ(x). */
export const normalCdf = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, INV_SQRT2)))));

/** GELU′(x) = Φ(x) + x·φ(x), given Φ(x). */
export const geluDerivative = (x: tf.Tensor, cdf: tf.Tensor): tf.Tensor =>
  tf.tidy(() => tf.add(cdf, tf.mul(x, tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(tf.square(x), -0.5))))));

/**
 * Exact GELU, x·Φ(x) (PyTorch's nn.GELU() default), as one tape node that keeps only its
 * input. The plain formulation (`gelu` in ./linear) keeps four intermediates of the
 * same size for its gradient.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  return withCustomGrad<T>([x], (save) => {
    save([x]);
    return {
      value: tf.mul(x, normalCdf(x)) as T,
      gradients: (dy, [input]) => [tf.tidy(() => tf.mul(dy, geluDerivative(input, normalCdf(input))))],
    };
  });
}

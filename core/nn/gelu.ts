import * as tf from '@tensorflow/tfjs';
import { isRecordingGradients, withCustomGrad } from './custom-grad';

const INV_SQRT2 = Math.SQRT1_2;
/** ln(1/√(2π)): φ(x) = exp(ln(1/√(2π)) − x²/2), so the constant folds into the exponent. */
const LOG_INV_SQRT_2PI = -0.5 * Math.log(2 * Math.PI);

export interface GeluOutputs<T extends tf.Tensor> {
  /** GELU(x) = x·Φ(x), Φ the standard normal CDF (PyTorch's exact nn.GELU()). */
  value: T;
  /** GELU′(x) = Φ(x) + x·φ(x); only when asked for. */
  derivative?: T;
}

/**
 * GELU and, when a backward pass will need it, its derivative, sharing u = x/√2 and Φ(x).
 *
 * Why the derivative is computed in the forward pass: the backward pass then costs one
 * multiply, and the layer keeps GELU′(x) instead of x (the same memory). Recomputing it
 * from x in the backward pass took eleven element-wise kernels over the MLP's widest
 * tensor; computed here from the shared terms it takes five.
 */
export function geluForward<T extends tf.Tensor>(x: T, withDerivative: boolean): GeluOutputs<T> {
  return tf.tidy(() => {
    const u = tf.mul(x, INV_SQRT2);
    const cdf = tf.mul(tf.add(tf.erf(u), 1), 0.5);
    const value = tf.mul(x, cdf) as T;
    if (!withDerivative) return { value };
    // x·φ(x) = x·exp(ln(1/√(2π)) − u²), since u² = x²/2
    const derivative = tf.add(cdf, tf.mul(x, tf.exp(tf.sub(LOG_INV_SQRT_2PI, tf.square(u))))) as T;
    return { value, derivative };
  });
}

/** ln(2/√π): d/dz erf(z) = exp(ln(2/√π) − z²). */
const LOG_2_OVER_SQRT_PI = Math.log(2 / Math.sqrt(Math.PI));

/**
 * f(z) = z·(1 + erf z) = √2·GELU(√2·z) and, when asked, f′(z) = 1 + erf z + z·(2/√π)·exp(−z²).
 *
 * For a caller that folds the constants into the neighbouring linear layers: with the
 * pre-activation scaled by 1/√2 (z = x/√2) and the next layer's weights by 1/√2, the GELU
 * takes three element-wise kernels (erf, +1, ×z) instead of five, and its derivative five
 * more (see preNormBlock).
 */
export function scaledGeluForward<T extends tf.Tensor>(z: T, withDerivative: boolean): GeluOutputs<T> {
  return tf.tidy(() => {
    const onePlusErf = tf.add(tf.erf(z), 1);
    const value = tf.mul(z, onePlusErf) as T;
    if (!withDerivative) return { value };
    const derivative = tf.add(onePlusErf, tf.mul(z, tf.exp(tf.sub(LOG_2_OVER_SQRT_PI, tf.square(z))))) as T;
    return { value, derivative };
  });
}

/**
 * Exact GELU, x·Φ(x) (PyTorch's nn.GELU() default), as one tape node that keeps only
 * GELU′(x). The plain formulation (`gelu` in ./linear) keeps four intermediates of the
 * same size for its gradient.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  return withCustomGrad<T>([x], (save) => {
    const { value, derivative } = geluForward(x, isRecordingGradients());
    if (derivative) save([derivative]);
    return {
      value,
      gradients: (dy, [savedDerivative]) => [tf.mul(dy, savedDerivative)],
    };
  });
}

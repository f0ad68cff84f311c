import * as tf from '@tensorflow/tfjs';
import { biasScaledGelu, scaledGeluReference } from '../backend/fused';
import { isRecordingGradients, withCustomGrad } from './custom-grad';

export interface GeluOutputs<T extends tf.Tensor> {
  value: T;
  /** The derivative of `value` with respect to the input; only when asked for. */
  derivative?: T;
}

/**
 * f(z) = z·(1 + erf z) = √2·GELU(√2·z) and, when asked, f′(z) = 1 + erf z + z·(2/√π)·exp(−z²),
 * sharing 1 + erf z.
 *
 * Why the derivative is computed in the forward pass: the backward pass then costs one
 * multiply, and the layer keeps the derivative instead of the input (the same memory).
 * Recomputing both from the input in the backward pass took eleven element-wise kernels.
 *
 * For a caller that folds the constants into the neighbouring linear layers (the
 * pre-activation scaled by 1/√2, the next layer's weights by 1/√2; see preNormBlock), the
 * GELU takes three element-wise kernels (erf, +1, ×z) and its derivative five more.
 */
export function scaledGeluForward<T extends tf.Tensor>(z: T, withDerivative: boolean): GeluOutputs<T> {
  return tf.tidy(() => {
    const [value, derivative] = scaledGeluReference(z, withDerivative) as T[];
    return derivative ? { value: value!, derivative } : { value: value! };
  });
}

/**
 * scaledGeluForward(h + b) for h [..., F] and a bias b [F]: one kernel,
 * SlipkitBiasGelu(WithDerivative) (core/backend/fused), which also spares the bias its own pass.
 */
export function biasScaledGeluForward<T extends tf.Tensor>(h: T, bias: tf.Tensor1D, withDerivative: boolean): GeluOutputs<T> {
  return biasScaledGelu(h, bias, withDerivative);
}

/** GELU(x) = x·Φ(x) (PyTorch's exact nn.GELU()) and GELU′(x), as f(x/√2)/√2 and f′(x/√2)/2. */
export function geluForward<T extends tf.Tensor>(x: T, withDerivative: boolean): GeluOutputs<T> {
  return tf.tidy(() => {
    const scaled = scaledGeluForward(tf.mul(x, Math.SQRT1_2), withDerivative);
    return {
      value: tf.mul(scaled.value, Math.SQRT1_2) as T,
      derivative: scaled.derivative && (tf.mul(scaled.derivative, 0.5) as T),
    };
  });
}

/**
 * Exact GELU, x·Φ(x) (PyTorch's nn.GELU() default), as one tape node that keeps only
 * GELU′(x). A plain erf formulation keeps four intermediates of the same size for its
 * gradient.
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

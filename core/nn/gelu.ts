import * as tf from '@tensorflow/tfjs';
import { fusedOpsActive, runFusedOp } from '../backend/fused-ops';
import { isRecordingGradients, withCustomGrad } from './custom-grad';

export interface GeluOutputs<T extends tf.Tensor> {
  value: T;
  /** The derivative of `value` with respect to the input; only when asked for. */
  derivative?: T;
}

/** ln(2/√π): d/dz erf(z) = exp(ln(2/√π) − z²). */
const LOG_2_OVER_SQRT_PI = Math.log(2 / Math.sqrt(Math.PI));

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
    const onePlusErf = tf.add(tf.erf(z), 1);
    const value = tf.mul(z, onePlusErf) as T;
    if (!withDerivative) return { value };
    const derivative = tf.add(onePlusErf, tf.mul(z, tf.exp(tf.sub(LOG_2_OVER_SQRT_PI, tf.square(z))))) as T;
    return { value, derivative };
  });
}

/**
 * scaledGeluForward(h + b) for h [..., F] and a bias b [F]: one pass over h with the fused
 * ops (core/backend/fused-ops.ts), which also spares the bias its own pass.
 */
export function biasScaledGeluForward<T extends tf.Tensor>(h: T, bias: tf.Tensor1D, withDerivative: boolean): GeluOutputs<T> {
  if (fusedOpsActive()) {
    const [value, derivative] = runFusedOp(withDerivative ? 'SlipkitBiasGeluWithDerivative' : 'SlipkitBiasGelu', [h, bias]) as T[];
    return { value: value!, derivative };
  }
  const z = tf.add(h, bias) as T;
  const out = scaledGeluForward(z, withDerivative);
  z.dispose();
  return out;
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

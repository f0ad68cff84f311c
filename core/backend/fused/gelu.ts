import * as tf from '@tensorflow/tfjs';
import { defineFusedKernel, referenceVjp, runFused } from './registry';

/** ln(2/√π): d/dz erf(z) = exp(ln(2/√π) − z²). */
const LOG_2_OVER_SQRT_PI = Math.log(2 / Math.sqrt(Math.PI));

/**
 * f(z) = z·(1 + erf z) = √2·GELU(√2·z) and, when asked, f′(z) = 1 + erf z + z·(2/√π)·exp(−z²),
 * sharing 1 + erf z (the reference formulation of the bias + GELU kernels).
 */
export function scaledGeluReference(z: tf.Tensor, withDerivative: boolean): tf.Tensor[] {
  const onePlusErf = tf.add(tf.erf(z), 1);
  const value = tf.mul(z, onePlusErf);
  if (!withDerivative) return [value];
  return [value, tf.add(onePlusErf, tf.mul(z, tf.exp(tf.sub(LOG_2_OVER_SQRT_PI, tf.square(z)))))];
}

/** SlipkitBiasGelu: f(h + b) for h [..., F] and b [F]. SlipkitBiasGeluWithDerivative: f(h + b) and f′(h + b). */
export const BIAS_GELU = defineFusedKernel({ name: 'SlipkitBiasGelu', outputs: 1, reference: ([h, b]) => scaledGeluReference(tf.add(h!, b!), false) });
export const BIAS_GELU_WITH_DERIVATIVE = defineFusedKernel({
  name: 'SlipkitBiasGeluWithDerivative',
  outputs: 2,
  reference: ([h, b]) => scaledGeluReference(tf.add(h!, b!), true),
});

/** f(h + b) and, when asked, f′(h + b), as one kernel. */
export function biasScaledGelu<T extends tf.Tensor>(h: T, bias: tf.Tensor1D, withDerivative: boolean): { value: T; derivative?: T } {
  const [value, derivative] = runFused(withDerivative ? BIAS_GELU_WITH_DERIVATIVE.name : BIAS_GELU.name, [h, bias]) as T[];
  return { value: value!, derivative };
}

/** Row sums over every axis but the last: a bias gradient. */
const sumToBias = (t: tf.Tensor): tf.Tensor => tf.sum(tf.reshape(t, [-1, t.shape[t.rank - 1]!]), 0);

/**
 * The bias + GELU gradient: d(h + b) = dy·f′(h + b), recomputing f′ with the kernel that
 * gives it (SlipkitBiasGeluWithDerivative); the derivative's own gradient (f″) is the
 * reference's autodiff.
 */
export const GELU_GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: BIAS_GELU.name,
    inputsToSave: ['0', '1'],
    gradFunc: (dy, [h, b]) => {
      const dz = tf.tidy(() => tf.mul(dy as tf.Tensor, biasScaledGelu(h!, b as tf.Tensor1D, true).derivative!));
      return { 0: () => dz, 1: () => sumToBias(dz) };
    },
  },
  referenceVjp(BIAS_GELU_WITH_DERIVATIVE.name, 2),
];

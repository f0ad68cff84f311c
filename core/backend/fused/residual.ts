import * as tf from '@tensorflow/tfjs';
import { defineFusedKernel, runFused } from './registry';

/** SlipkitBiasResidual: x + h + b for x, h [..., D] and a bias b [D], one pass. */
export const BIAS_RESIDUAL = defineFusedKernel({ name: 'SlipkitBiasResidual', outputs: 1, reference: ([x, h, b]) => [tf.add(x!, tf.add(h!, b!))] });

export function biasResidual<T extends tf.Tensor>(x: T, h: T, bias: tf.Tensor1D): T {
  return runFused(BIAS_RESIDUAL.name, [x, h, bias])[0] as T;
}

/** d x = d h = dy, d b = dy summed over every axis but the last. */
export const RESIDUAL_GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: BIAS_RESIDUAL.name,
    gradFunc: (dy) => {
      const d = dy as tf.Tensor;
      return { 0: () => tf.clone(d), 1: () => tf.clone(d), 2: () => tf.sum(tf.reshape(d, [-1, d.shape[d.rank - 1]!]), 0) };
    },
  },
];

import type * as tf from '@tensorflow/tfjs';
import { mulColumnSums } from '../backend/fused';

/**
 * a ⊙ g for a, g [N, D], and its sums over rows [D]: a gradient through an element-wise
 * derivative g and the bias gradient it gives. One kernel, SlipkitMulColumnSums
 * (core/backend/fused).
 */
export function multiplyWithColumnSums(a: tf.Tensor2D, g: tf.Tensor2D): { product: tf.Tensor2D; sums: tf.Tensor1D } {
  return mulColumnSums(a, g);
}

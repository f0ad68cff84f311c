import * as tf from '@tensorflow/tfjs';
import { fusedOpsActive, runFusedOp } from '../backend/fused-ops';
import { columnSums } from './matmul';

/**
 * a ⊙ g for a, g [N, D], and its sums over rows [D]: a gradient through an element-wise
 * derivative g and the bias gradient it gives. One pass with the fused ops
 * (core/backend/fused-ops.ts); a multiply and a reduction otherwise.
 */
export function multiplyWithColumnSums(a: tf.Tensor2D, g: tf.Tensor2D): { product: tf.Tensor2D; sums: tf.Tensor1D } {
  if (fusedOpsActive()) {
    const [product, sums] = runFusedOp('SlipkitMulColumnSums', [a, g]);
    return { product: product as tf.Tensor2D, sums: sums as tf.Tensor1D };
  }
  const product = tf.mul(a, g) as tf.Tensor2D;
  return { product, sums: columnSums(product) };
}

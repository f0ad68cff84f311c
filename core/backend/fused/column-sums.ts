import * as tf from '@tensorflow/tfjs';
import { defineFusedKernel, runFused } from './registry';

/** SlipkitMulColumnSums: a ⊙ g for a, g [N, D] and its sums over rows [D], one pass. */
export const MUL_COLUMN_SUMS = defineFusedKernel({
  name: 'SlipkitMulColumnSums',
  outputs: 2,
  reference: ([a, g]) => {
    const product = tf.mul(a!, g!);
    return [product, tf.sum(product, 0)];
  },
});

/**
 * SlipkitColumnSums: the sums over rows [D] of x [N, D] (a bias gradient), one pass. The
 * reference is TensorFlow.js's sum along axis 0.
 */
export const COLUMN_SUMS = defineFusedKernel({
  name: 'SlipkitColumnSums',
  outputs: 1,
  reference: ([x]) => [tf.sum(x!, 0)],
});

/**
 * Σ over the rows of a 2-D x [N, D] → [D] (a bias gradient). On the native backend this was a
 * product with a row of ones (TensorFlow's Sum along axis 0 took about twice as long: 5.8–7.1 ms
 * against 2.3–3.4 ms on [12480, 768]), which the GEMM ran as a matrix-vector product at
 * ~12 GB/s; SlipkitColumnSums is one pass. Other dtypes than float32 take tfjs's sum.
 */
export function columnSums(x: tf.Tensor2D): tf.Tensor1D {
  return x.dtype === 'float32' ? (runFused(COLUMN_SUMS.name, [x])[0] as tf.Tensor1D) : tf.sum(x, 0);
}

export function mulColumnSums(a: tf.Tensor2D, g: tf.Tensor2D): { product: tf.Tensor2D; sums: tf.Tensor1D } {
  const [product, sums] = runFused(MUL_COLUMN_SUMS.name, [a, g]);
  return { product: product as tf.Tensor2D, sums: sums as tf.Tensor1D };
}

/** With p = a ⊙ g and s = Σ_rows p: the total gradient reaching p is dp + ds (broadcast over rows); da = that ⊙ g, dg = that ⊙ a. */
export const COLUMN_SUMS_GRADIENTS: tf.GradConfig[] = [
  {
    // s = Σ_rows x: every row of x gets ds.
    kernelName: COLUMN_SUMS.name,
    inputsToSave: ['0'],
    gradFunc: (dy, [x]) => ({ 0: () => tf.mul(tf.onesLike(x!), dy as tf.Tensor) }),
  },
  {
    kernelName: MUL_COLUMN_SUMS.name,
    inputsToSave: ['0', '1'],
    gradFunc: (dy, [a, g]) => {
      // An output outside the differentiated graph comes with a null gradient.
      const [dProduct, dSums] = dy as Array<tf.Tensor | null>;
      const total = dProduct && dSums ? tf.add(dProduct, dSums) : (dProduct ?? tf.mul(tf.onesLike(a!), dSums!));
      return { 0: () => tf.mul(total, g!), 1: () => tf.mul(total, a!) };
    },
  },
];

import * as tf from '@tensorflow/tfjs';
import { defineFusedKernel, runFused } from './registry';

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

export const COLUMN_SUMS_GRADIENTS: tf.GradConfig[] = [
  {
    // s = Σ_rows x: every row of x gets ds.
    kernelName: COLUMN_SUMS.name,
    inputsToSave: ['0'],
    gradFunc: (dy, [x]) => ({ 0: () => tf.mul(tf.onesLike(x!), dy as tf.Tensor) }),
  },
];

import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { l2Normalize } from '../../core/nn/l2-normalize';
import { columnStats, disposeColumnStats, standardize } from '../../core/nn/standardize';
import { batchNorm1d } from '../../core/nn/batch-norm';
import { assertFlatTensorCount } from '../helpers/memory';

const close = (actual: number[][], expected: number[][], tol = 1e-5) =>
  actual.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - expected[i][j]) < tol, `[${i}][${j}] ${v} vs ${expected[i][j]}`)));

describe('the one L2 normalisation and the one standardisation', () => {
  it('l2Normalize divides each row by its norm and leaves a zero row at zero', () => {
    const out = l2Normalize(tf.tensor2d([[3, 4], [0, 0], [-2, 0]]));
    close(out.arraySync(), [[0.6, 0.8], [0, 0], [-1, 0]]);
    out.dispose();
  });

  it('standardize with a set’s own statistics: zero mean, unit (biased) std; a constant column becomes 0', () => {
    const x = tf.tensor2d([[1, 10], [3, 10], [5, 10]]);
    const stats = columnStats(x, { minStd: 1e-6 });
    const s = Math.sqrt(8 / 3); // biased std of 1, 3, 5
    close(standardize(x, stats).arraySync(), [[-2 / s, 0], [0, 0], [2 / s, 0]]);
    // Applied to other rows, the fitted statistics are reused; the constant column is only centred.
    close(standardize(tf.tensor2d([[7, 12]]), stats).arraySync(), [[4 / s, 2]]);
    disposeColumnStats(stats);
  });

  it('eps under the root as BatchNorm adds it, and batchNorm1d is standardize with batch statistics', () => {
    const x = tf.tensor2d([[0, 1], [2, 1]]);
    const eps = 1e-5;
    const expected = [[-1 / Math.sqrt(1 + eps), 0], [1 / Math.sqrt(1 + eps), 0]];
    close(standardize(x, columnStats(x, { eps })).arraySync(), expected, 1e-6);
    close(batchNorm1d(x, undefined, eps).arraySync(), expected, 1e-6);
  });

  it('gradients flow through the batch statistics (the sum of a standardised column is constant)', () => {
    const x = tf.tensor2d([[1, 2], [3, 5], [4, 9]]);
    const grad = tf.grad((v: tf.Tensor) => tf.sum(standardize(v as tf.Tensor2D, columnStats(v as tf.Tensor2D, { eps: 1e-5 }))))(x);
    Array.from(grad.dataSync()).forEach((g) => assert.ok(Math.abs(g) < 1e-4, `gradient ${g}`));
  });

  it('leaves no tensors behind', async () => {
    const x = tf.randomNormal([8, 4]) as tf.Tensor2D;
    await assertFlatTensorCount(3, () => {
      const stats = columnStats(x, { minStd: 1e-6 });
      tf.dispose([standardize(x, stats), l2Normalize(x)]);
      disposeColumnStats(stats);
    });
    x.dispose();
  });
});

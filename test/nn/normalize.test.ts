import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { l2Normalize } from '../../core/nn/l2-normalize';
import { columnStats, disposeColumnStats, standardize, standardizeBatch } from '../../core/nn/standardize';
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
    close(standardizeBatch(x, eps).arraySync(), expected, 1e-6);
  });

  it('standardizeBatch is standardize with the batch’s own statistics, in value and in gradient', () => {
    const x = tf.tensor2d([[1, 2, -1], [3, 5, 0.5], [4, 9, 2], [-2, 0, 7]]);
    const w = tf.tensor2d([[0.3, -1, 2], [1.5, 0.2, -0.7], [-0.4, 0.9, 1.1], [2, -0.5, 0.1]]);
    const eps = 1e-5;
    const viaStats = (v: tf.Tensor) => standardize(v as tf.Tensor2D, columnStats(v as tf.Tensor2D, { eps }));
    const fused = (v: tf.Tensor) => standardizeBatch(v as tf.Tensor2D, eps);
    close(fused(x).arraySync() as number[][], viaStats(x).arraySync() as number[][], 1e-6);
    // A weighted sum, so the gradient is not the trivial zero of a plain sum.
    const gFused = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fused(v), w)))(x);
    const gStats = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(viaStats(v), w)))(x);
    close(gFused.arraySync() as number[][], gStats.arraySync() as number[][], 1e-5);
    // And against central finite differences of the value, in float64 arithmetic.
    const rows = x.arraySync() as number[][];
    const weights = w.arraySync() as number[][];
    const value = (m: number[][]) => {
      let total = 0;
      for (let j = 0; j < m[0].length; j++) {
        const col = m.map((r) => r[j]);
        const mean = col.reduce((a, b) => a + b, 0) / col.length;
        const variance = col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length;
        col.forEach((c, i) => (total += ((c - mean) / Math.sqrt(variance + eps)) * weights[i][j]));
      }
      return total;
    };
    const h = 1e-6;
    const numeric = rows.map((r, i) => r.map((_, j) => {
      const up = rows.map((q) => [...q]);
      const down = rows.map((q) => [...q]);
      up[i][j] += h;
      down[i][j] -= h;
      return (value(up) - value(down)) / (2 * h);
    }));
    close(gFused.arraySync() as number[][], numeric, 1e-3);
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
      tf.dispose([standardize(x, stats), standardizeBatch(x, 1e-5), l2Normalize(x)]);
      disposeColumnStats(stats);
    });
    x.dispose();
  });
});

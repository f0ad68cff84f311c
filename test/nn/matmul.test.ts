import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../core/backend';
import { numericBackends } from '../helpers/backends';
import { Logger } from '../../core/logger';
import { columnSums, linear2d, matMul2d, NATIVE_MATMUL_KERNEL } from '../../core/nn/matmul';
import { Rng } from '../../core/random';
import { assertFlatTensorCount } from '../helpers/memory';
import { relativeError } from './torch-fixture';

/**
 * matMul2d and linear2d against the same products computed on the cpu backend with tf.matMul
 * (an independent implementation: tfjs's own JavaScript kernels), on every backend here.
 */
const quiet = new Logger('error', { write: () => undefined });
const rng = new Rng(11);
const randomValues = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());

interface Case {
  transposeA: boolean;
  transposeB: boolean;
  a: { values: Float32Array; shape: [number, number] };
  b: { values: Float32Array; shape: [number, number] };
}

const [m, k, n] = [7, 5, 3];
const CASES: Case[] = [false, true].flatMap((transposeA) =>
  [false, true].map((transposeB) => {
    const aShape: [number, number] = transposeA ? [k, m] : [m, k];
    const bShape: [number, number] = transposeB ? [n, k] : [k, n];
    return { transposeA, transposeB, a: { values: randomValues(m * k), shape: aShape }, b: { values: randomValues(k * n), shape: bShape } };
  }),
);
const dyValues = randomValues(m * n);

interface Expected {
  product: Float32Array;
  dA: Float32Array;
  dB: Float32Array;
}

/** Product and the gradients of sum(product ⊙ dy), by tf.matMul on the cpu backend. */
function expectedOnCpu(c: Case): Expected {
  return tf.tidy(() => {
    const a = tf.tensor2d(c.a.values, c.a.shape);
    const b = tf.tensor2d(c.b.values, c.b.shape);
    const dy = tf.tensor2d(dyValues, [m, n]);
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, c.transposeA, c.transposeB);
    const [dA, dB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(f(x, y), dy)))([a, b]);
    return { product: f(a, b).dataSync() as Float32Array, dA: dA.dataSync() as Float32Array, dB: dB.dataSync() as Float32Array };
  });
}

const near = (actual: tf.Tensor, expected: Float32Array, what: string): void => {
  const err = relativeError(actual, tf.tensor(expected, actual.shape));
  assert.ok(err < 1e-5, `${what}: relative error ${err}`);
};

describe('2-D matMul and linear (one native kernel on the tensorflow backend)', function () {
  this.timeout(60_000);
  let expected: Expected[];
  const backends = numericBackends();
  let previous: string;

  before(async () => {
    previous = tf.getBackend();
    await tf.setBackend('cpu');
    expected = CASES.map(expectedOnCpu);
  });
  after(async () => {
    await tf.setBackend(previous);
  });

  for (const backend of backends) {
    describe(`on ${backend}`, () => {
      before(async () => {
        if (backend === 'tensorflow') await selectBackend('tensorflow', quiet);
        else await tf.setBackend(backend);
      });

      it('equals a·b for every combination of transposes, with the gradients of a taped product', () => {
        CASES.forEach((c, i) => {
          const label = `transposeA=${c.transposeA} transposeB=${c.transposeB}`;
          tf.tidy(() => {
            const a = tf.tensor2d(c.a.values, c.a.shape);
            const b = tf.tensor2d(c.b.values, c.b.shape);
            const dy = tf.tensor2d(dyValues, [m, n]);
            near(matMul2d(a, b, c.transposeA, c.transposeB), expected[i].product, `${label} product`);
            const [dA, dB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matMul2d(x as tf.Tensor2D, y as tf.Tensor2D, c.transposeA, c.transposeB), dy)))([a, b]);
            near(dA, expected[i].dA, `${label} dA`);
            near(dB, expected[i].dB, `${label} dB`);
          });
        });
      });

      it('linear2d equals x·W + b, with and without a bias, and its taped gradients', () => {
        tf.tidy(() => {
          const c = CASES[0];
          const x = tf.tensor2d(c.a.values, c.a.shape);
          const w = tf.tensor2d(c.b.values, c.b.shape);
          const bias = tf.tensor1d([0.5, -1, 2]);
          const dy = tf.tensor2d(dyValues, [m, n]);
          near(linear2d(x, w), expected[0].product, 'without bias');
          const withBias = linear2d(x, w, bias);
          near(tf.sub(withBias, bias), expected[0].product, 'with bias');
          const [dX, dW, dBias] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(linear2d(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor1D), dy)))([x, w, bias]);
          near(dX, expected[0].dA, 'dx');
          near(dW, expected[0].dB, 'dW');
          near(dBias, tf.sum(dy, 0).dataSync() as Float32Array, 'dbias');
        });
      });

      it('a·bᵀ with a short a against a large b equals the plain product', () => {
        const [rows, inner, cols] = [8, 1024, 1100];
        const aValues = randomValues(rows * inner);
        const bValues = randomValues(cols * inner);
        const expectedProduct = new Float32Array(rows * cols);
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < cols; j++) {
            let acc = 0;
            for (let t = 0; t < inner; t++) acc += aValues[i * inner + t] * bValues[j * inner + t];
            expectedProduct[i * cols + j] = acc;
          }
        }
        tf.tidy(() => near(matMul2d(tf.tensor2d(aValues, [rows, inner]), tf.tensor2d(bValues, [cols, inner]), false, true), expectedProduct, 'a·bᵀ'));
      });

      it('columnSums equals the sum over rows', () => {
        const rows = 37;
        const values = randomValues(rows * 6);
        const expectedSums = new Float32Array(6);
        for (let i = 0; i < values.length; i++) expectedSums[i % 6] += values[i];
        tf.tidy(() => near(columnSums(tf.tensor2d(values, [rows, 6])), expectedSums, 'column sums'));
      });

      it('frees everything it allocates', async () => {
        const c = CASES[3];
        const a = tf.tensor2d(c.a.values, c.a.shape);
        const b = tf.tensor2d(c.b.values, c.b.shape);
        await assertFlatTensorCount(5, () => {
          tf.dispose(tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(linear2d(matMul2d(x as tf.Tensor2D, y as tf.Tensor2D, true, true), y as tf.Tensor2D, tf.ones([k]) as tf.Tensor1D)))([a, b]));
          tf.dispose(columnSums(a));
        });
        tf.dispose([a, b]);
      });

      if (backend === 'tensorflow') {
        it('runs as the one native kernel, with no BatchMatMul or Reshape around it', async () => {
          const a = tf.tensor2d(CASES[1].a.values, CASES[1].a.shape);
          const b = tf.tensor2d(CASES[1].b.values, CASES[1].b.shape);
          const info = await tf.profile(() => tf.dispose(matMul2d(a, b, false, true)));
          assert.deepEqual(info.kernelNames, [NATIVE_MATMUL_KERNEL]);
          tf.dispose([a, b]);
        });
      }
    });
  }
});

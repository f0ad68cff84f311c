import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describeGemm, gemmActive, gemmState, nativeInstall, selectBackend, setGemmEnabled } from '../../core/backend';
import { loadGemm } from '../../core/backend/gemm';
import { Logger } from '../../core/logger';
import { columnSums, matMul2d } from '../../core/nn/matmul';
import { Rng } from '../../core/random';
import { nativeCase, nativeRequired } from '../helpers/backends';
import { assertFlatTensorCount } from '../helpers/memory';

/*
 * The library GEMM (core/backend/gemm.ts, core/backend/native/gemm/) against the path it
 * replaces: every product here runs once as SlipkitGemm / SlipkitBatchGemm and once on
 * TensorFlow's own MatMul (the GEMM switched off), values and taped gradients. Shapes are odd
 * (nothing divides a SIMD width), cover every transpose, split over threads by rows and by
 * columns, and include batched products with broadcasting that must fall back.
 *
 * It runs on whatever library this process has loaded (setup's choice), else on the library
 * setup keeps for the tests (OpenBLAS). Under CI=true setup must have built both.
 */
const quiet = new Logger('error', { write: () => undefined });
const rng = new Rng(5);
const tensor = (shape: number[]): tf.Tensor => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);

/** The GEMM library this test can run on: the loaded one, else the one setup keeps; or why none. */
function testLibrary(): { addon: string; library: string; candidate: string } | string {
  const install = nativeInstall();
  const choice = install.manifest?.gemm;
  if (!install.ready || !choice) return `no GEMM choice in the native setup (${install.problem ?? 'setup predates it'}): run \`npm run setup:native\``;
  if (!choice.addon) return `the GEMM addon was not built: ${choice.error ?? 'no reason recorded'}`;
  const kept = Object.entries(choice.candidates).find(([, c]) => c.library);
  if (!kept) return 'setup installed no GEMM library';
  return { addon: path.join(install.dir, choice.addon), library: path.join(install.dir, kept[1].library!), candidate: kept[0] };
}

/** max |a − b| / max |b|. */
function relativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(tf.max(tf.abs(b)).dataSync()[0], 1e-30));
}

/** f's outputs with the GEMM on and off (TensorFlow's MatMul), kept outside any tidy. */
function onAndOff(f: () => tf.Tensor[]): { on: tf.Tensor[]; off: tf.Tensor[] } {
  setGemmEnabled(true);
  const on = tf.tidy(f);
  setGemmEnabled(false);
  const off = tf.tidy(f);
  setGemmEnabled(true);
  return { on, off };
}

function assertSame(f: () => tf.Tensor[], what: string, tolerance = 2e-6): void {
  const { on, off } = onAndOff(f);
  try {
    on.forEach((t, i) => {
      assert.deepEqual(t.shape, off[i].shape, `${what} output ${i}: shape`);
      const d = relativeDifference(t, off[i]);
      assert.ok(d < tolerance, `${what} output ${i}: the GEMM differs from TensorFlow's MatMul by ${d} (relative)`);
    });
  } finally {
    tf.dispose([...on, ...off]);
  }
}

const run = nativeRequired() || typeof testLibrary() !== 'string';

(run ? describe : describe.skip)(`library GEMM against TensorFlow's MatMul (tensorflow backend; ${nativeCase()})`, function () {
  this.timeout(60_000);
  let previousBackend: string;
  let activeBefore: boolean;

  before(async () => {
    previousBackend = tf.getBackend();
    await selectBackend('tensorflow', quiet);
    activeBefore = gemmActive();
    if (!gemmState().loaded) {
      const lib = testLibrary();
      if (typeof lib === 'string') throw new Error(lib);
      const state = loadGemm(lib.addon, lib.library, lib.candidate);
      if (!state.loaded) throw new Error(state.reason);
    }
    assert.ok(gemmActive(), describeGemm());
  });
  after(async () => {
    // The rest of the suite runs on whatever setup chose, as a process started now would.
    setGemmEnabled(activeBefore);
    await tf.setBackend(previousBackend);
  });

  it('names the library in use for doctor', () => {
    const state = gemmState();
    assert.ok(state.loaded);
    assert.match(describeGemm(), new RegExp(`^${state.candidate}: .*SlipkitGemm on \\d+ threads$`));
  });

  it('2-D products and their taped gradients, every transpose, odd shapes split by rows and by columns', () => {
    // [m, k, n]: small (one call), then m·n·k above the parallel threshold with m > n (split by
    // rows) and m < n (split by columns), and a single row (a bias gradient's shape).
    for (const [m, k, n] of [[7, 5, 3], [301, 67, 45], [45, 67, 301], [1, 257, 131]]) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          const a = tensor(transposeA ? [k, m] : [m, k]) as tf.Tensor2D;
          const b = tensor(transposeB ? [n, k] : [k, n]) as tf.Tensor2D;
          const dy = tensor([m, n]);
          const what = `[${m}, ${k}]·[${k}, ${n}] transposeA=${transposeA} transposeB=${transposeB}`;
          assertSame(() => {
            const product = matMul2d(a, b, transposeA, transposeB);
            const [dA, dB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matMul2d(x as tf.Tensor2D, y as tf.Tensor2D, transposeA, transposeB), dy)))([a, b]);
            return [product, dA, dB];
          }, what);
          tf.dispose([a, b, dy]);
        }
      }
    }
  });

  it('runs the layers\' products as SlipkitGemm, and TensorFlow\'s MatMul when switched off', async () => {
    const a = tensor([9, 4]) as tf.Tensor2D;
    const b = tensor([4, 6]) as tf.Tensor2D;
    // tf.profile lists tfjs kernels; the TensorFlow op under them is what the product computed
    // with, so the check is on results: a product whose operands disagree fails only on the GEMM.
    const bad = tensor([5, 6]) as tf.Tensor2D;
    assert.throws(() => matMul2d(a, bad), /SlipkitGemm: inner dimensions differ/);
    setGemmEnabled(false);
    try {
      assert.throws(() => matMul2d(a, bad), (err: Error) => !/SlipkitGemm/.test(err.message));
    } finally {
      setGemmEnabled(true);
    }
    // tfjs's BatchMatMul kernel (under every tf.matMul) takes the same route for rank 2 and 3;
    // runKernel skips tfjs-core's shape checks, so the op's own message shows which op ran.
    const a3 = tensor([2, 9, 4]);
    const bad3 = tensor([2, 5, 6]);
    const batchMatMul = (x: tf.Tensor, y: tf.Tensor) => tf.engine().runKernel('BatchMatMul', { a: x, b: y }, { transposeA: false, transposeB: false });
    assert.throws(() => batchMatMul(a3, bad3), /SlipkitBatchGemm: inner dimensions differ/);
    assert.throws(() => batchMatMul(a, bad), /SlipkitGemm: inner dimensions differ/);
    tf.dispose([a, b, bad, a3, bad3]);
  });

  it('batched products (every tf.matMul) and their gradients, including the fallbacks for broadcast batches', () => {
    const cases: Array<{ a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }> = [
      { a: [5, 13, 8], b: [5, 8, 11], transposeA: false, transposeB: false },
      { a: [5, 13, 8], b: [5, 11, 8], transposeA: false, transposeB: true }, // attention's q·kᵀ
      { a: [5, 13, 11], b: [5, 13, 8], transposeA: true, transposeB: false }, // its dV = Pᵀ·dO
      { a: [6, 9, 7], b: [6, 10, 9], transposeA: true, transposeB: true },
      // Fallbacks to tfjs-node's kernel (values only: tfjs's BatchMatMul gradient does not reduce
      // a broadcast batch, GEMM or not): a broadcast batch, rank 4.
      { a: [1, 13, 8], b: [5, 8, 11], transposeA: false, transposeB: false },
      { a: [2, 3, 13, 8], b: [2, 3, 8, 11], transposeA: false, transposeB: false },
      { a: [37, 29], b: [23, 29], transposeA: false, transposeB: true }, // rank 2 through tf.matMul
    ];
    for (const c of cases) {
      const a = tensor(c.a);
      const b = tensor(c.b);
      const what = `tf.matMul(${JSON.stringify(c.a)}, ${JSON.stringify(c.b)}, ${c.transposeA}, ${c.transposeB})`;
      assertSame(() => {
        const product = tf.matMul(a, b, c.transposeA, c.transposeB);
        if (c.a[0] !== c.b[0]) return [product];
        const dy = tf.onesLike(product).mul(tf.range(0, product.size).reshape(product.shape).sin());
        const [dA, dB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, c.transposeA, c.transposeB), dy)))([a, b]);
        return [product, dA, dB];
      }, what);
      tf.dispose([a, b]);
    }
  });

  it('columnSums (a product with a row of ones) equals TensorFlow\'s', () => {
    const x = tensor([1003, 37]) as tf.Tensor2D;
    assertSame(() => [columnSums(x)], 'column sums');
    x.dispose();
  });

  it('gives the same bits on every run (the split depends only on the shape and the thread count)', () => {
    const a = tensor([613, 96]) as tf.Tensor2D;
    const b = tensor([96, 211]) as tf.Tensor2D;
    const w = tensor([96, 613]) as tf.Tensor2D;
    const runs = [0, 1, 2].map(() => tf.tidy(() => [matMul2d(a, b).dataSync(), matMul2d(w, a, false, false).dataSync(), matMul2d(a, b, false, false).dataSync()]));
    for (const r of runs.slice(1)) r.forEach((values, i) => assert.deepEqual(Buffer.from(values.buffer), Buffer.from(runs[0][i].buffer), `product ${i} changed between runs`));
    tf.dispose([a, b, w]);
  });

  it('frees everything it allocates', async () => {
    const a = tensor([31, 17]) as tf.Tensor2D;
    const b = tensor([3, 17, 5]);
    await assertFlatTensorCount(4, () => {
      tf.dispose(tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(matMul2d(x as tf.Tensor2D, y as tf.Tensor2D, true, false)))([a, a]));
      tf.dispose(tf.grads((y: tf.Tensor) => tf.sum(tf.matMul(y, y, false, true)))([b]));
    });
    tf.dispose([a, b]);
  });
});

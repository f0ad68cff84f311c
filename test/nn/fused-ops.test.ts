import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { fusedOpsActive, fusedOpsState, nativeInstall, setFusedOpsEnabled } from '../../core/backend';
import { runFused } from '../../core/backend/fused';
import { attentionBackward, attentionForward, type AttentionShape } from '../../core/nn/attention';
import { biasScaledGeluForward } from '../../core/nn/gelu';
import { normalise, normaliseBackward } from '../../core/nn/layer-norm';
import { columnSums } from '../../core/nn/matmul';
import { multiplyWithColumnSums } from '../../core/nn/multiply-column-sums';
import { foldNormIntoLinear, unfoldGradients } from '../../core/nn/norm-folding';
import type { DenseLayer } from '../../core/nn/dense';
import type { LayerNorm } from '../../core/nn/layer-norm';
import { addBiasResidual } from '../../core/nn/residual';
import { Rng } from '../../core/random';
import { describeOnBackends, fusedOpsTested, nativeRequired, nativeTested } from '../helpers/backends';
import { assertFlatTensorCount } from '../helpers/memory';

/*
 * The functions that the fused native ops (core/backend/native/) speed up, on every
 * backend and, on `tensorflow`, with the fused ops on and off, against plain formulations
 * differentiated by tfjs's autodiff on the cpu backend (independent of both the C++ kernels and
 * the hand-written backward passes). Shapes are chosen so that the native kernels split rows
 * over threads, rows do not divide evenly, and GELU rows span a partial block.
 */

const rng = new Rng(23);
const values = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * scale);

const EPS = 1e-5;
const [ROWS, WIDTH] = [61, 300];
const ATTENTION: AttentionShape[] = [
  { batch: 5, tokens: 13, heads: 3, causal: false },
  { batch: 4, tokens: 11, heads: 2, causal: true },
];
const HEAD_DIM = 8;
/** Output width of the linear layer a norm is folded into (WIDTH × FOLD_OUT splits over threads). */
const FOLD_OUT = 70;
const FOLD_SCALAR = 0.7;
const ATTENTION_SCALE = 0.35;

interface Inputs {
  x: Float32Array;
  dy: Float32Array;
  residual: Float32Array;
  bias: Float32Array;
  qkv: Float32Array[];
  qkvBias: Float32Array[];
  dContext: Float32Array[];
  fold: { weight: Float32Array; bias: Float32Array; gamma: Float32Array; beta: Float32Array; scale: Float32Array; dy: Float32Array };
}

/** Folded output x̂·W′ + b′ and the four parameter gradients, for one column scale. */
interface FoldExpected {
  output: Float32Array;
  weight: Float32Array;
  bias: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
}

interface Expected {
  xHat: Float32Array;
  invStd: Float32Array;
  normGrad: Float32Array;
  normGradPlusResidual: Float32Array;
  gelu: Float32Array;
  geluDerivative: Float32Array;
  residual: Float32Array;
  product: Float32Array;
  productColumnSums: Float32Array;
  context: Float32Array[];
  dQkv: Float32Array[];
  /** With the vector column scale, then with the scalar one. */
  fold: FoldExpected[];
}

const inputs: Inputs = {
  x: values(ROWS * WIDTH, 2).map((v, i) => v + (i % 7)),
  dy: values(ROWS * WIDTH),
  residual: values(ROWS * WIDTH),
  bias: values(WIDTH, 0.5),
  qkv: ATTENTION.map((s) => values(s.batch * s.tokens * 3 * s.heads * HEAD_DIM)),
  qkvBias: ATTENTION.map((s) => values(3 * s.heads * HEAD_DIM, 0.3)),
  dContext: ATTENTION.map((s) => values(s.batch * s.tokens * s.heads * HEAD_DIM)),
  fold: {
    weight: values(WIDTH * FOLD_OUT, 0.2),
    bias: values(FOLD_OUT),
    gamma: values(WIDTH, 0.5).map((v) => v + 1),
    beta: values(WIDTH, 0.5),
    scale: values(FOLD_OUT, 0.3).map((v) => v + 1),
    dy: values(ROWS * FOLD_OUT),
  },
};

/** The folding's parameters as tensors, shaped as LayerNorm and DenseLayer hold them. */
function foldParams(): { norm: LayerNorm; layer: DenseLayer } {
  const f = inputs.fold;
  return {
    norm: { weight: tf.tensor1d(f.gamma), bias: tf.tensor1d(f.beta) } as unknown as LayerNorm,
    layer: { weight: tf.tensor2d(f.weight, [WIDTH, FOLD_OUT]), bias: tf.tensor1d(f.bias) } as unknown as DenseLayer,
  };
}

/** Plain attention: per head softmax(scale·q·kᵀ + mask)·v, heads side by side. */
function plainAttention(qkv: tf.Tensor2D, s: AttentionShape): tf.Tensor2D {
  const w = s.heads * HEAD_DIM;
  const heads = (part: number): tf.Tensor3D =>
    tf.reshape(tf.transpose(tf.reshape(tf.slice(qkv, [0, part * w], [-1, w]), [s.batch, s.tokens, s.heads, HEAD_DIM]), [0, 2, 1, 3]), [s.batch * s.heads, s.tokens, HEAD_DIM]);
  let scores = tf.mul(tf.matMul(heads(0), heads(1), false, true), ATTENTION_SCALE);
  if (s.causal) scores = tf.add(scores, tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([s.tokens, s.tokens]), -1, 0)), -1e9));
  const out = tf.matMul(tf.softmax(scores), heads(2));
  return tf.reshape(tf.transpose(tf.reshape(out, [s.batch, s.heads, s.tokens, HEAD_DIM]), [0, 2, 1, 3]), [s.batch * s.tokens, w]);
}

/** Everything expected, by plain formulas and autodiff on the cpu backend. */
function expectedOnCpu(): Expected {
  return tf.tidy(() => {
    const x = tf.tensor2d(inputs.x, [ROWS, WIDTH]);
    const dy = tf.tensor2d(inputs.dy, [ROWS, WIDTH]);
    const bias = tf.tensor1d(inputs.bias);
    const norm = (t: tf.Tensor): tf.Tensor => {
      const { mean, variance } = tf.moments(t, -1, true);
      return tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, EPS)));
    };
    const { variance } = tf.moments(x, -1, true);
    const normGrad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(norm(t), dy)))(x);
    const f = (h: tf.Tensor): tf.Tensor => {
      const z = tf.add(h, bias);
      return tf.mul(z, tf.add(1, tf.erf(z)));
    };
    const attention = ATTENTION.map((s, i) => {
      const cols = 3 * s.heads * HEAD_DIM;
      const qkv = tf.tensor2d(inputs.qkv[i]!, [s.batch * s.tokens, cols]);
      const qkvBias = tf.tensor1d(inputs.qkvBias[i]!);
      const dContext = tf.tensor2d(inputs.dContext[i]!, [s.batch * s.tokens, cols / 3]);
      const forward = (t: tf.Tensor): tf.Tensor2D => plainAttention(tf.add(t, qkvBias) as tf.Tensor2D, s);
      const dQkv = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(forward(t), dContext)))(qkv);
      return { context: forward(qkv).dataSync() as Float32Array, dQkv: dQkv.dataSync() as Float32Array };
    });
    const fi = inputs.fold;
    const xHat = norm(x);
    const foldDy = tf.tensor2d(fi.dy, [ROWS, FOLD_OUT]);
    const fold = [tf.tensor1d(fi.scale), tf.scalar(FOLD_SCALAR)].map((scale) => {
      const plain = (w: tf.Tensor, b: tf.Tensor, g: tf.Tensor, be: tf.Tensor): tf.Tensor =>
        tf.mul(tf.add(tf.matMul(tf.add(tf.mul(xHat, g), be) as tf.Tensor2D, w as tf.Tensor2D), b), scale);
      const params = [tf.tensor2d(fi.weight, [WIDTH, FOLD_OUT]), tf.tensor1d(fi.bias), tf.tensor1d(fi.gamma), tf.tensor1d(fi.beta)];
      const grads = tf.grads((w, b, g, be) => tf.sum(tf.mul(plain(w!, b!, g!, be!), foldDy)))(params).map((g) => g.dataSync() as Float32Array);
      return { output: plain(params[0]!, params[1]!, params[2]!, params[3]!).dataSync() as Float32Array, weight: grads[0]!, bias: grads[1]!, gamma: grads[2]!, beta: grads[3]! };
    });
    return {
      fold,
      xHat: xHat.dataSync() as Float32Array,
      invStd: tf.rsqrt(tf.add(variance, EPS)).dataSync() as Float32Array,
      normGrad: normGrad.dataSync() as Float32Array,
      normGradPlusResidual: tf.add(normGrad, tf.tensor2d(inputs.residual, [ROWS, WIDTH])).dataSync() as Float32Array,
      gelu: f(x).dataSync() as Float32Array,
      geluDerivative: tf.grad((h: tf.Tensor) => tf.sum(f(h)))(x).dataSync() as Float32Array,
      residual: tf.add(x, tf.add(dy, bias)).dataSync() as Float32Array,
      product: tf.mul(x, dy).dataSync() as Float32Array,
      productColumnSums: tf.sum(tf.mul(x, dy), 0).dataSync() as Float32Array,
      context: attention.map((a) => a.context),
      dQkv: attention.map((a) => a.dQkv),
    };
  });
}

/** max |actual − expected| ≤ 1e-5·max |expected| + 1e-6. */
function assertNear(actual: tf.Tensor, expected: Float32Array, what: string): void {
  const got = actual.dataSync();
  assert.equal(got.length, expected.length, `${what}: ${got.length} values, expected ${expected.length}`);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < got.length; i++) {
    worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  assert.ok(worst <= 1e-5 * scale + 1e-6, `${what}: max abs error ${worst} (max |expected| ${scale})`);
}

const fusedBuilt = (): boolean => Boolean(nativeInstall().manifest?.fusedOps?.addon);

describe('fused-op layers: LayerNorm, GELU, residual, gradient products, attention', function () {
  let expected: Expected;
  before(() => {
    expected = expectedOnCpu();
  });

  describeOnBackends('normalise, GELU, residual and attention against autodiff of plain formulas', (backend) => {
    const modes = backend === 'tensorflow' ? [true, false] : [false];
    for (const fused of modes) {
      describe(backend === 'tensorflow' ? `fused ops ${fused ? 'on' : 'off'}` : 'tfjs ops', () => {
        let previous: boolean;
        before(function () {
          // Under CI=true the fused ops are required: these tests then run (and fail) without them.
          if (fused && !fusedOpsTested()) this.skip();
          previous = setFusedOpsEnabled(fused);
        });
        after(() => {
          setFusedOpsEnabled(previous);
        });

        it(fused ? 'runs the fused kernels' : 'runs tfjs ops', () => {
          assert.equal(fusedOpsActive(), fused, `fusedOpsActive() on ${backend}: ${JSON.stringify(fusedOpsState())}`);
        });

        it('normalise and normaliseBackward (with and without the residual)', () => {
          tf.tidy(() => {
            const x = tf.tensor2d(inputs.x, [ROWS, WIDTH]);
            const { xHat, invStd } = normalise(x, EPS);
            assert.deepEqual(invStd.shape, [ROWS, 1]);
            assertNear(xHat, expected.xHat, 'x̂');
            assertNear(invStd, expected.invStd, '1/σ');
            const dy = tf.tensor2d(inputs.dy, [ROWS, WIDTH]);
            const residual = tf.tensor2d(inputs.residual, [ROWS, WIDTH]);
            assertNear(normaliseBackward(dy, xHat, invStd, residual), expected.normGradPlusResidual, 'dx + residual');
            assertNear(normaliseBackward(dy, xHat, invStd), expected.normGrad, 'dx');
          });
        });

        it('biasScaledGeluForward: z·(1 + erf z) of z = h + b and its derivative', () => {
          tf.tidy(() => {
            const h = tf.tensor2d(inputs.x, [ROWS, WIDTH]);
            const bias = tf.tensor1d(inputs.bias);
            const both = biasScaledGeluForward(h, bias, true);
            assertNear(both.value, expected.gelu, 'value');
            assertNear(both.derivative!, expected.geluDerivative, 'derivative');
            const valueOnly = biasScaledGeluForward(h, bias, false);
            assert.equal(valueOnly.derivative, undefined);
            assertNear(valueOnly.value, expected.gelu, 'value without the derivative');
          });
        });

        it('addBiasResidual: x + h + b', () => {
          tf.tidy(() => {
            const out = addBiasResidual(tf.tensor2d(inputs.x, [ROWS, WIDTH]), tf.tensor2d(inputs.dy, [ROWS, WIDTH]), tf.tensor1d(inputs.bias));
            assertNear(out, expected.residual, 'x + h + b');
          });
        });

        it('multiplyWithColumnSums: a ⊙ g and its sums over rows', () => {
          tf.tidy(() => {
            const { product, sums } = multiplyWithColumnSums(tf.tensor2d(inputs.x, [ROWS, WIDTH]), tf.tensor2d(inputs.dy, [ROWS, WIDTH]));
            assertNear(product, expected.product, 'a ⊙ g');
            assertNear(sums, expected.productColumnSums, 'column sums');
          });
        });

        it('columnSums: the sums over rows (a bias gradient), rows split over threads', () => {
          tf.tidy(() => {
            // expected.productColumnSums are the cpu backend's sums of a ⊙ g: summed here from that product.
            assertNear(columnSums(tf.tensor2d(inputs.x, [ROWS, WIDTH]).mul(tf.tensor2d(inputs.dy, [ROWS, WIDTH])) as tf.Tensor2D), expected.productColumnSums, 'column sums');
          });
        });

        for (const [which, index] of [['a vector', 0], ['a scalar', 1]] as const) {
          it(`foldNormIntoLinear and unfoldGradients with ${which} column scale`, () => {
            tf.tidy(() => {
              const { norm, layer } = foldParams();
              const scale = index === 0 ? tf.tensor1d(inputs.fold.scale) : FOLD_SCALAR;
              const xHat = tf.tensor2d(expected.xHat, [ROWS, WIDTH]);
              const dy = tf.tensor2d(inputs.fold.dy, [ROWS, FOLD_OUT]);
              const folded = foldNormIntoLinear(norm, layer, scale);
              const want = expected.fold[index]!;
              assertNear(tf.add(tf.matMul(xHat, folded.weight), folded.bias), want.output, 'x̂·W′ + b′');
              const u = unfoldGradients(tf.matMul(xHat, dy, true, false), tf.sum(dy, 0), norm, layer, scale);
              assertNear(u.weight, want.weight, 'dW');
              assertNear(u.bias, want.bias, 'db');
              assertNear(u.gamma, want.gamma, 'dγ');
              assertNear(u.beta, want.beta, 'dβ');
            });
          });
        }

        ATTENTION.forEach((s, i) => {
          it(`attention forward and backward (${s.causal ? 'causal' : 'bidirectional'}, ${s.batch}×${s.tokens} tokens, ${s.heads} heads)`, () => {
            tf.tidy(() => {
              const cols = 3 * s.heads * HEAD_DIM;
              const qkv = tf.tensor2d(inputs.qkv[i]!, [s.batch * s.tokens, cols]);
              const { output, saved } = attentionForward(qkv, tf.tensor1d(inputs.qkvBias[i]!), s, ATTENTION_SCALE);
              assert.equal(saved.length, 2, 'saved layout: qkv + b and P, whichever kernel runs');
              assertNear(output, expected.context[i]!, 'context');
              const dQkv = attentionBackward(tf.tensor2d(inputs.dContext[i]!, [s.batch * s.tokens, cols / 3]), saved, s, ATTENTION_SCALE);
              assertNear(dQkv, expected.dQkv[i]!, 'd qkv');
            });
          });
        });

        it('gives the same bits on every run (sums over rows are reduced in a fixed order)', () => {
          tf.tidy(() => {
            const rows = 4099;
            const a = tf.tensor2d(values(rows * 64), [rows, 64]);
            const g = tf.tensor2d(values(rows * 64), [rows, 64]);
            const { norm, layer } = foldParams();
            const runs = Array.from({ length: 6 }, () => [multiplyWithColumnSums(a, g).sums.dataSync(), foldNormIntoLinear(norm, layer, 0.5).bias.dataSync()]);
            for (const [i, run] of runs.entries()) {
              assert.deepEqual(Array.from(run[0]!), Array.from(runs[0]![0]!), `column sums differ between run 0 and run ${i}`);
              assert.deepEqual(Array.from(run[1]!), Array.from(runs[0]![1]!), `folded bias differs between run 0 and run ${i}`);
            }
          });
        });

        it('keeps the tensor count flat', async () => {
          const s = ATTENTION[0]!;
          const cols = 3 * s.heads * HEAD_DIM;
          const x = tf.tensor2d(inputs.x, [ROWS, WIDTH]);
          const bias = tf.tensor1d(inputs.bias);
          const qkv = tf.tensor2d(inputs.qkv[0]!, [s.batch * s.tokens, cols]);
          const qkvBias = tf.tensor1d(inputs.qkvBias[0]!);
          const dContext = tf.tensor2d(inputs.dContext[0]!, [s.batch * s.tokens, cols / 3]);
          await assertFlatTensorCount(4, () => {
            tf.tidy(() => {
              const { xHat, invStd } = normalise(x, EPS);
              normaliseBackward(x, xHat, invStd, x);
              biasScaledGeluForward(x, bias, true);
              addBiasResidual(x, x, bias);
              multiplyWithColumnSums(x, x);
              const { saved } = attentionForward(qkv, qkvBias, s, ATTENTION_SCALE);
              attentionBackward(dContext, saved, s, ATTENTION_SCALE);
            });
          });
          tf.dispose([x, bias, qkv, qkvBias, dContext]);
        });
      });
    }
  });

  describe('the native addon', () => {
    it('is loaded with the native backend whenever setup built it', function () {
      if (!nativeTested()) this.skip();
      if (!fusedBuilt() && !nativeRequired()) {
        // Built without the fused ops: setup recorded why, and the backend says they are off.
        assert.ok(nativeInstall().manifest?.fusedOps?.error ?? !nativeInstall().manifest?.fusedOps, 'a failed build records its error');
        return;
      }
      // The describeOnBackends blocks above loaded the tensorflow backend.
      const state = fusedOpsState();
      assert.ok(state.loaded, `fused ops not loaded: ${JSON.stringify(state)}`);
      assert.ok(state.threads >= 1);
    });

    it('names the op and the shapes it got when they do not fit', async function () {
      if (!fusedOpsTested()) this.skip();
      assert.ok(fusedOpsState().loaded, `fused ops not loaded: ${JSON.stringify(fusedOpsState())}`);
      const previous = tf.getBackend();
      await tf.setBackend('tensorflow');
      try {
        tf.tidy(() => {
          const x = tf.zeros([4, 6]);
          assert.throws(() => runFused('SlipkitBiasResidual', [x, x, tf.zeros([5])]), /SlipkitBiasResidual: expected x and h \[\.\.\., D\] of one shape and b \[D\], got \[4,6\], \[4,6\], \[5\]/);
          assert.throws(() => runFused('SlipkitAttention', [x, tf.zeros([6])], { heads: 4, tokens: 2 }), /SlipkitAttention: expected qkv \[B·T, 3·W\].*got \[4,6\]/);
          assert.throws(() => runFused('SlipkitLayerNorm', [tf.zeros([4, 6], 'int32')], { eps: 1e-5 }), /input 0 is int32/);
        });
      } finally {
        await tf.setBackend(previous);
      }
    });
  });
});

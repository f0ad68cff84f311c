import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { selfAttention } from '../../core/nn/attention';
import { dense } from '../../core/nn/dense';
import { embeddingLookup } from '../../core/nn/embedding';
import { gelu, scaledGeluForward } from '../../core/nn/gelu';
import type { DenseLayer } from '../../core/nn/dense';
import { type LayerNorm, layerNorm } from '../../core/nn/layer-norm';
import { foldNormIntoLinear, unfoldGradients } from '../../core/nn/norm-folding';
import { ParamSeeds } from '../../core/nn/param-seeds';
import { TIMM_BLOCK_NAMING, TransformerBlock } from '../../core/nn/transformer';
import { patchify } from '../../core/nn/patch-embed';
import { relu } from '../../core/nn/relu';
import { Rng } from '../../core/random';
import { describeOnBackends } from '../helpers/backends';
import { assertFlatTensorCount } from '../helpers/memory';
import { relativeError } from './torch-fixture';

/**
 * Each memory-lean layer (one tape node with a hand-written gradient) against tf.grads of
 * the plain formulation built from tfjs primitives: same values, same gradients for a
 * random output weighting.
 */
const rng = new Rng(7);
const randn = (shape: number[], scale = 1): tf.Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal() * scale), shape);
};

function assertSameFunction(lean: (...xs: tf.Tensor[]) => tf.Tensor, plain: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], tol = 1e-5): void {
  tf.tidy(() => {
    const yLean = lean(...inputs);
    const yPlain = plain(...inputs);
    assert.deepEqual(yLean.shape, yPlain.shape);
    assert.ok(relativeError(yLean, yPlain) < tol, `values differ: ${relativeError(yLean, yPlain)}`);
    const weights = randn(yPlain.shape);
    const gLean = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(lean(...xs), weights)))(inputs);
    const gPlain = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(plain(...xs), weights)))(inputs);
    gLean.forEach((g, i) => {
      assert.deepEqual(g.shape, gPlain[i].shape, `gradient ${i} shape`);
      const err = relativeError(g, gPlain[i]);
      assert.ok(err < tol, `gradient ${i} differs: relative error ${err}`);
    });
  });
}

/** GELU from tfjs primitives, the erf form of PyTorch's nn.GELU(). */
const plainGelu = (x: tf.Tensor): tf.Tensor => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));

function plainAttention(qkv: tf.Tensor, batch: number, tokens: number, heads: number, causal: boolean): tf.Tensor {
  const width = qkv.shape[1]! / 3;
  const d = width / heads;
  const x = tf.transpose(tf.reshape(qkv, [batch, tokens, 3, heads, d]), [2, 0, 3, 1, 4]);
  const [q, k, v] = tf.unstack(x);
  let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(d));
  if (causal) {
    const allowed = tf.linalg.bandPart(tf.ones([tokens, tokens]), -1, 0);
    scores = tf.add(scores, tf.mul(tf.sub(1, allowed), -1e9));
  }
  const out = tf.matMul(tf.softmax(scores), v);
  return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [batch * tokens, width]);
}

describeOnBackends('memory-lean layers with custom gradients', () => {
  it('gelu equals the plain erf formulation', () => {
    assertSameFunction((x) => gelu(x), (x) => plainGelu(x), [randn([6, 10], 2)]);
  });

  it('relu equals tf.relu, gradient included', () => {
    assertSameFunction((x) => relu(x), (x) => tf.relu(x), [randn([6, 10], 2)]);
  });

  it('scaledGeluForward gives f(z) = √2·GELU(√2·z) and its derivative', () => {
    tf.tidy(() => {
      const z = randn([5, 9], 1.5);
      const plainF = (t: tf.Tensor) => tf.mul(plainGelu(tf.mul(t, Math.SQRT2)), Math.SQRT2);
      const { value, derivative } = scaledGeluForward(z, true);
      assert.ok(relativeError(value, plainF(z)) < 1e-5, `value: ${relativeError(value, plainF(z))}`);
      const expected = tf.grad(plainF)(z);
      assert.ok(relativeError(derivative!, expected) < 1e-5, `derivative: ${relativeError(derivative!, expected)}`);
      assert.equal(scaledGeluForward(z, false).derivative, undefined);
    });
  });

  it('layerNorm equals mean/variance normalisation with scale and shift', () => {
    const plain = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
    };
    const x = tf.add(randn([5, 12], 3), 1);
    assertSameFunction(
      (x, g, b) => layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5),
      plain,
      [x, tf.add(1, randn([12], 0.3)), randn([12], 0.3)],
    );
  });

  for (const causal of [false, true]) {
    it(`preNormBlock equals the block built from tfjs primitives (${causal ? 'causal' : 'bidirectional'})`, () => {
      const [batch, tokens, heads, width] = [2, 5, 2, 8];
      const seeds = new ParamSeeds(3, 'test');
      const block = new TransformerBlock('b', {
        width, depth: 1, heads, mlpRatio: 4, layerNormEps: 1e-5, causal,
        blockPrefix: () => 'b', naming: TIMM_BLOCK_NAMING, initStd: { qkv: 0.4, proj: 0.4, fc1: 0.4, fc2: 0.2 },
      }, seeds);
      for (const norm of [block.norm1, block.norm2]) {
        norm.weight.assign(tf.add(1, randn([width], 0.3)) as tf.Tensor1D);
        norm.bias.assign(randn([width], 0.3) as tf.Tensor1D);
      }
      for (const layer of [block.attn.qkv, block.attn.proj, block.fc1, block.fc2]) layer.bias.assign(randn(layer.bias.shape, 0.2) as tf.Tensor1D);
      const norm = (x: tf.Tensor, n: LayerNorm) => {
        const { mean, variance } = tf.moments(x, -1, true);
        return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), n.weight), n.bias);
      };
      const lin = (x: tf.Tensor, l: DenseLayer) => tf.add(tf.matMul(x as tf.Tensor2D, l.weight), l.bias);
      const plain = (x: tf.Tensor) => {
        const a = tf.add(x, lin(plainAttention(lin(norm(x, block.norm1), block.attn.qkv), batch, tokens, heads, causal), block.attn.proj));
        return tf.add(a, lin(plainGelu(lin(norm(a, block.norm2), block.fc1)), block.fc2));
      };
      const lean = (x: tf.Tensor) => block.apply(x as tf.Tensor2D, batch, tokens);
      const x = randn([batch * tokens, width], 1.5);
      assertSameFunction(lean, plain, [x]);
      const vars = block.variables().map((v) => v.variable);
      tf.tidy(() => {
        const weights = randn([batch * tokens, width]);
        const gLean = tf.variableGrads(() => tf.sum(tf.mul(lean(x), weights)), vars).grads;
        const gPlain = tf.variableGrads(() => tf.sum(tf.mul(plain(x), weights)), vars).grads;
        for (const v of block.variables()) {
          const err = relativeError(gLean[v.variable.name], gPlain[v.variable.name]);
          assert.ok(err < 1e-5, `gradient of ${v.name}: relative error ${err}`);
        }
      });
      vars.forEach((v) => v.dispose());
    });
  }

  it('preNormBlock keeps only x̂ and 1/σ of both norms, qkv, the attention maps and output, the MLP pre-activation (not the GELU output and derivative), and the folded weights', () => {
    const [batch, tokens, heads, width] = [2, 5, 2, 8];
    const n = batch * tokens;
    const block = new TransformerBlock('b', {
      width, depth: 1, heads, mlpRatio: 4, layerNormEps: 1e-5, causal: false,
      blockPrefix: () => 'b', naming: TIMM_BLOCK_NAMING, initStd: { qkv: 0.4, proj: 0.4, fc1: 0.4, fc2: 0.2 },
    }, new ParamSeeds(3, 'test'));
    const vars = block.variables().map((v) => v.variable);
    const x = randn([n, width]);
    let keptBytes = 0;
    const before = tf.memory().numBytes;
    tf.dispose(tf.variableGrads(() => {
      const out = block.apply(x as tf.Tensor2D, batch, tokens);
      keptBytes = tf.memory().numBytes - before;
      return tf.sum(out);
    }, vars));
    const foldedWeightFloats = width * 3 * width + width * 4 * width + 4 * width * width;
    // Per token: x̂₁, qkv, the attention output, x̂₂ and the MLP's pre-activation (4·W); fc1's folded bias (4·W) once.
    const savedFloats = n * width * (1 + 3 + 1 + 1 + 4) + 2 * n + batch * heads * tokens * tokens + foldedWeightFloats + 4 * width;
    const outputFloats = n * width;
    assert.equal(keptBytes, 4 * (savedFloats + outputFloats));
    tf.dispose([x, ...vars]);
  });

  it('preNormBlock and gelu leave only their output behind on an evaluation pass (no tape)', () => {
    const [batch, tokens, heads, width] = [2, 5, 2, 8];
    const block = new TransformerBlock('b', {
      width, depth: 1, heads, mlpRatio: 4, layerNormEps: 1e-5, causal: false,
      blockPrefix: () => 'b', naming: TIMM_BLOCK_NAMING, initStd: { qkv: 0.4, proj: 0.4, fc1: 0.4, fc2: 0.2 },
    }, new ParamSeeds(3, 'test'));
    const x = randn([batch * tokens, width]);
    const before = tf.memory().numTensors;
    const out = block.apply(x as tf.Tensor2D, batch, tokens);
    const activated = gelu(out);
    assert.equal(tf.memory().numTensors, before + 2);
    tf.dispose([x, out, activated, ...block.variables().map((v) => v.variable)]);
  });

  for (const scaled of [false, true]) {
    it(`folding a norm's γ, β${scaled ? ' and a column scale' : ''} into the next linear layer keeps its output and gradients`, () => {
      const [n, width, out] = [6, 4, 5];
      const norm = { weight: randn([width], 0.5), bias: randn([width], 0.5) } as unknown as LayerNorm;
      const layer = { weight: randn([width, out]), bias: randn([out]) } as unknown as DenseLayer;
      const scale = scaled ? (tf.add(1, randn([out], 0.5)) as tf.Tensor1D) : undefined;
      const xHat = randn([n, width]);
      const dy = randn([n, out]);
      tf.tidy(() => {
        const plain = (w: tf.Tensor, b: tf.Tensor, g: tf.Tensor, be: tf.Tensor) => {
          const y = tf.add(tf.matMul(tf.add(tf.mul(xHat, g), be) as tf.Tensor2D, w as tf.Tensor2D), b);
          return scale ? tf.mul(y, scale) : y;
        };
        const folded = foldNormIntoLinear(norm, layer, scale);
        const yFolded = tf.add(tf.matMul(xHat as tf.Tensor2D, folded.weight), folded.bias);
        const yPlain = plain(layer.weight, layer.bias, norm.weight, norm.bias);
        assert.ok(relativeError(yFolded, yPlain) < 1e-6, `outputs differ: ${relativeError(yFolded, yPlain)}`);
        const [dW, dB, dG, dBe] = tf.grads((w, b, g, be) => tf.sum(tf.mul(plain(w, b, g, be), dy)))([layer.weight, layer.bias, norm.weight, norm.bias]);
        const u = unfoldGradients(tf.matMul(xHat as tf.Tensor2D, dy as tf.Tensor2D, true, false), tf.sum(dy, 0), norm, layer, scale);
        for (const [name, mine, reference] of [['weight', u.weight, dW], ['bias', u.bias, dB], ['gamma', u.gamma, dG], ['beta', u.beta, dBe]] as const) {
          assert.deepEqual(mine.shape, reference.shape, `${name} shape`);
          assert.ok(relativeError(mine, reference) < 1e-5, `d${name} differs: ${relativeError(mine, reference)}`);
        }
      });
      tf.dispose([norm.weight, norm.bias, layer.weight, layer.bias, xHat, dy, ...(scale ? [scale] : [])]);
    });
  }

  it('dense equals matMul + bias, with and without bias', () => {
    const x = randn([7, 5]);
    const w = randn([5, 3]);
    const b = randn([3]);
    assertSameFunction((x, w, b) => dense(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D), (x, w, b) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b), [x, w, b]);
    assertSameFunction((x, w) => dense(x as tf.Tensor2D, w as tf.Tensor2D), (x, w) => tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), [x, w]);
  });

  for (const causal of [false, true]) {
    it(`selfAttention equals softmax(q·kᵀ/√d)·v per head (${causal ? 'causal' : 'bidirectional'})`, () => {
      const [batch, tokens, heads, width] = [2, 5, 3, 12];
      assertSameFunction(
        (qkv) => selfAttention(qkv as tf.Tensor2D, { batch, tokens, heads, causal }),
        (qkv) => plainAttention(qkv, batch, tokens, heads, causal),
        [randn([batch * tokens, 3 * width])],
      );
    });
  }

  it('embeddingLookup equals tf.gather, summing the gradient of repeated ids', () => {
    const ids = tf.tensor2d([[1, 4, 4, 0], [2, 1, 4, 3]], [2, 4], 'int32');
    const table = randn([6, 5]);
    assertSameFunction((t) => embeddingLookup(t as tf.Tensor2D, ids), (t) => tf.gather(t, ids), [table]);
  });

  it('patchify flattens each patch channel-first, as a PyTorch Conv2d kernel is laid out', () => {
    // A 1-image, 4×4, 2-channel input whose value encodes (y, x, c); patches of 2.
    const values: number[] = [];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) for (let c = 0; c < 2; c++) values.push(100 * c + 10 * y + x);
    const patches = tf.tidy(() => patchify(tf.tensor4d(values, [1, 4, 4, 2]), 2).arraySync());
    assert.equal(patches.length, 4);
    // patch 1 = grid row 0, column 1: pixels y∈{0,1}, x∈{2,3}; order c, y, x
    assert.deepEqual(patches[1], [2, 3, 12, 13, 102, 103, 112, 113]);
    assert.deepEqual(patches[2], [20, 21, 30, 31, 120, 121, 130, 131]);
  });

  it('free their intermediates', async () => {
    const x = randn([4, 6]);
    const g = tf.ones([6]);
    const b = tf.zeros([6]);
    const qkv = randn([2 * 3, 18]);
    await assertFlatTensorCount(3, () => {
      tf.dispose(
        tf.grads((x: tf.Tensor, q: tf.Tensor) =>
          tf.add(
            tf.sum(gelu(layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-6))),
            tf.sum(selfAttention(q as tf.Tensor2D, { batch: 2, tokens: 3, heads: 2, causal: true })),
          ),
        )([x, qkv]),
      );
    });
    tf.dispose([x, g, b, qkv]);
  });
});

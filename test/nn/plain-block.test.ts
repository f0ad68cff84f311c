import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { ParamSeeds } from '../../core/nn/param-seeds';
import { plainPreNormBlock, quickGelu } from '../../core/nn/plain-block';
import { TIMM_BLOCK_NAMING, TransformerBlock } from '../../core/nn/transformer';

function block(causal: boolean, activation?: 'gelu' | 'quick-gelu'): TransformerBlock {
  return new TransformerBlock(
    'blocks.0',
    { width: 8, depth: 1, heads: 2, mlpRatio: 2, layerNormEps: 1e-5, causal, blockPrefix: () => 'blocks.0', naming: TIMM_BLOCK_NAMING, initStd: { qkv: 0.5, proj: 0.5, fc1: 0.5, fc2: 0.5 }, activation },
    new ParamSeeds(5, 'plain-block'),
  );
}

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('plainPreNormBlock (the path of activations other than GELU)', () => {
  it("quickGelu is OpenAI CLIP's x·σ(1.702x)", () => {
    const xs = [-3, -0.5, 0, 0.7, 2.5];
    const got = tf.tidy(() => quickGelu(tf.tensor1d(xs)).dataSync());
    xs.forEach((x, i) => assert.ok(Math.abs(got[i] - x / (1 + Math.exp(-1.702 * x))) < 1e-6));
  });

  for (const causal of [false, true]) {
    it(`with GELU equals the fused preNormBlock, values and gradients (causal ${causal})`, () => {
      const b = block(causal);
      const x = tf.randomNormal([2 * 5, 8], 0, 1, 'float32', 3) as tf.Tensor2D;
      const params = { norm1: b.norm1, qkv: b.attn.qkv, proj: b.attn.proj, norm2: b.norm2, fc1: b.fc1, fc2: b.fc2 };
      const shape = { batch: 2, tokens: 5, heads: 2, causal };
      const vars = b.variables().map((v) => v.variable);
      const loss = (f: () => tf.Tensor2D) => () => tf.sum(tf.square(f())) as tf.Scalar;
      const fused = tf.variableGrads(loss(() => b.apply(x, 2, 5)), vars);
      const plain = tf.variableGrads(loss(() => plainPreNormBlock(x, params, shape, 'gelu')), vars);
      assert.ok(Math.abs(fused.value.dataSync()[0] - plain.value.dataSync()[0]) < 1e-3 * Math.abs(fused.value.dataSync()[0]));
      for (const v of b.variables()) {
        const d = maxAbs(fused.grads[v.variable.name], plain.grads[v.variable.name]);
        assert.ok(d < 1e-3, `gradient of ${v.name} differs by ${d}`);
      }
      tf.dispose([x, fused.value, plain.value, ...Object.values(fused.grads), ...Object.values(plain.grads)]);
      for (const v of vars) v.dispose();
    });
  }

  it("a block built with activation 'quick-gelu' runs it, and differs from GELU", () => {
    const quick = block(false, 'quick-gelu');
    const exact = block(false);
    const x = tf.randomNormal([5, 8], 0, 1, 'float32', 4) as tf.Tensor2D;
    const d = tf.tidy(() => maxAbs(quick.apply(x, 1, 5), exact.apply(x, 1, 5)));
    assert.ok(d > 1e-3 && d < 1, `outputs differ by ${d}`);
    x.dispose();
    for (const v of [...quick.variables(), ...exact.variables()]) v.variable.dispose();
  });
});

import { describeOnBackends } from '../../helpers/backends';
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import type { ObjectiveInputs } from '../../../core/contracts/objective';
import mae from '../../../plugins/objectives/mae';
import { sincosPosEmbed } from '../../../plugins/objectives/common/mae-decoder';
import { maeLoss, patchPixels } from '../../../plugins/objectives/losses/mae';
import { decodeArray, loadTorchParams, readFixture, toSlipkitLayout, type EncodedArray } from '../../nn/torch-fixture';
import { assertClose, buildObjective, disposeObjective } from './support/harness';
import { assertFlatTensorCount } from '../../helpers/memory';

interface MaeFixture {
  options: Record<string, unknown>;
  inputs: { tokens: EncodedArray; images: EncodedArray; keptPatches: number[][] };
  params: Record<string, EncodedArray>;
  expected: { loss: number; tokensGrad: EncodedArray; paramGrads: Record<string, EncodedArray> };
}

const f = readFixture<MaeFixture>('objectives', 'mae.json');

function maeInputs(tokens: tf.Tensor3D, images: tf.Tensor4D, kept: Int32Array | undefined): ObjectiveInputs {
  const none = (): never => {
    throw new Error('mae reads tokens and images only');
  };
  return { features: none, momentumFeatures: none, imageEmbedding: none, textEmbedding: none, tokens: () => ({ tokens, keptPatches: kept }), images: () => images, step: 0, totalSteps: 1 };
}

const maxAbs = (arrays: Float32Array[]) => Math.max(...arrays.map((a) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0)));

describeOnBackends('objective mae', () => {
  it("matches MAE's forward_decoder + norm-pix forward_loss (timm blocks, lightly's masking and patchify): loss and gradients", () => {
    const o = buildObjective(mae, f.options);
    const params = o.variables();
    loadTorchParams(params, f.params);
    const tokens = tf.variable(tf.tensor3d(decodeArray(f.inputs.tokens), f.inputs.tokens.shape as [number, number, number]));
    const images = tf.tensor4d(decodeArray(f.inputs.images), f.inputs.images.shape as [number, number, number, number]);
    const kept = Int32Array.from(f.inputs.keptPatches.flat());
    const { value, grads } = tf.variableGrads(() => o.compute(maeInputs(tokens as tf.Tensor3D, images, kept)).loss, [tokens, ...params.map((p) => p.variable)]);
    const scale = maxAbs([decodeArray(f.expected.tokensGrad), ...Object.values(f.expected.paramGrads).map(decodeArray)]);
    assertClose(value.dataSync(), [f.expected.loss], 'mae loss', Math.abs(f.expected.loss));
    assertClose(grads[tokens.name].dataSync(), decodeArray(f.expected.tokensGrad), '∂loss/∂tokens', scale);
    assert.deepEqual(params.map((p) => p.name).sort(), Object.keys(f.expected.paramGrads).sort());
    for (const p of params) {
      const expected = toSlipkitLayout(f.expected.paramGrads[p.name], p.transposeForTorch === true);
      assertClose(grads[p.variable.name].dataSync(), expected.dataSync(), `∂loss/∂${p.name}`, scale);
      expected.dispose();
    }
    tf.dispose([value, ...Object.values(grads), tokens, images]);
    disposeObjective(o);
  });

  it('writes the sine-cosine embedding of MAE: a zero class row, sin/cos of the column then of the row', () => {
    const e = sincosPosEmbed(8, 2, 3);
    assert.deepEqual(Array.from(e.slice(0, 8)), new Array(8).fill(0));
    // patch (row 1, column 2) is token 1 + 5; frequencies 1 and 1/100 for dim 8
    const t = Array.from(e.slice(6 * 8, 7 * 8));
    const expected = [Math.sin(2), Math.sin(0.02), Math.cos(2), Math.cos(0.02), Math.sin(1), Math.sin(0.01), Math.cos(1), Math.cos(0.01)];
    t.forEach((x, i) => assert.ok(Math.abs(x - expected[i]) < 1e-6, `${i}: ${x} vs ${expected[i]}`));
  });

  it('cuts patches row by row, pixels (row, column, channel) inside, and scores only the removed patches', () => {
    tf.tidy(() => {
      const img = tf.tensor4d(Float32Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);
      assert.deepEqual(Array.from(patchPixels(img, 2).dataSync()), [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]);
      const target = tf.zeros([1, 2, 3]) as tf.Tensor3D;
      const pred = tf.tensor3d([[[9, 9, 9], [1, 1, 1]]]);
      assert.equal(maeLoss(pred, target, tf.tensor2d([[0, 1]]), false).dataSync()[0], 1);
    });
  });

  it('refuses a view that masks nothing, naming the patch-mask step to add', () => {
    const o = buildObjective(mae, f.options);
    tf.tidy(() => assert.throws(() => o.compute(maeInputs(tf.zeros([3, 10, 16]) as tf.Tensor3D, tf.zeros([3, 12, 12, 3]) as tf.Tensor4D, undefined)), /masks no patches: add a \{ "type": "patch-mask", "ratio": 0\.75 \} step/));
    disposeObjective(o);
  });

  it('trains the decoder with a falling loss and a flat tensor count', async () => {
    const o = buildObjective(mae, f.options);
    const tokens = tf.randomNormal([3, 5, 16], 0, 1, 'float32', 4) as tf.Tensor3D;
    const images = tf.randomUniform([3, 12, 12, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const kept = Int32Array.from(f.inputs.keptPatches.flat());
    const vars = o.variables().map((v) => v.variable);
    const losses: number[] = [];
    await assertFlatTensorCount(15, () => {
      const { value, grads } = tf.variableGrads(() => o.compute(maeInputs(tokens, images, kept)).loss, vars);
      tf.tidy(() => vars.forEach((v) => v.assign(tf.sub(v, tf.mul(grads[v.name], 0.05)))));
      losses.push(value.dataSync()[0]);
      tf.dispose([value, ...Object.values(grads)]);
    });
    assert.ok(losses[losses.length - 1] < losses[0], `${losses[0]} → ${losses[losses.length - 1]}`);
    tf.dispose([tokens, images]);
    disposeObjective(o);
  });
});

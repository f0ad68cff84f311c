/** The ViT on multi-crop sizes (bicubically resampled position embedding) and with patch masking (FLIP / MAE). */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { gatherKeptTokens, keepIndicesFromNoise, patchKeepIndices } from '../../../core/nn/patch-mask';
import { ParamSeeds } from '../../../core/nn/param-seeds';
import { resamplePosEmbed } from '../../../plugins/image-encoders/pos-embed-resample';
import vit, { VisionTransformer, resolveVitConfig, type VitOptions } from '../../../plugins/image-encoders/vit';
import { withDefaults } from '../../../core/plugins/options';
import { describeOnBackends } from '../../helpers/backends';
import { assertFlatTensorCount } from '../../helpers/memory';
import { decodeArray, readFixture, type EncodedArray } from '../../nn/torch-fixture';

interface MaskingFixture {
  cases: Array<{ batch: number; patches: number; ratio: number; noise: EncodedArray; keep: number[][]; masked: number[][] }>;
}

const tinyVit = () =>
  new VisionTransformer(resolveVitConfig(withDefaults<VitOptions>(vit.schema, { preset: 'tiny', patchSize: 4, channels: 3, width: 16, depth: 1, heads: 2, mlpRatio: 2 }), 16), new ParamSeeds(0, 'model.image'));

describeOnBackends('vit views: multi-crop sizes and patch masking', () => {
  for (const c of readFixture<MaskingFixture>('zoo', 'masking.json').cases) {
    it(`keeps the patches lightly's random_token_mask keeps for the same noise (${c.batch}×${c.patches}, ratio ${c.ratio})`, () => {
      const keep = keepIndicesFromNoise(decodeArray(c.noise), c.batch, c.patches, c.ratio);
      const kept = c.keep[0].length;
      assert.deepEqual(Array.from({ length: c.batch }, (_, b) => Array.from(keep.slice(b * kept, (b + 1) * kept))), c.keep);
    });
  }

  it('draws a different seeded shuffle per image, the same for the same seed, and the same rows for a chunk of the batch', () => {
    const all = patchKeepIndices(4, 16, { ratio: 0.5, seed: 3 });
    assert.deepEqual(all, patchKeepIndices(4, 16, { ratio: 0.5, seed: 3 }));
    assert.notDeepEqual(all.slice(0, 8), all.slice(8, 16));
    assert.deepEqual(patchKeepIndices(2, 16, { ratio: 0.5, seed: 3, firstSample: 2 }), all.slice(16));
    assert.throws(() => patchKeepIndices(1, 4, { ratio: 0.9, seed: 0 }), /keeps no patch of 4/);
  });

  it('encodes a masked view on the kept tokens only: the class token and int(L·(1 − ratio)) patches', () => {
    const vit = tinyVit();
    tf.tidy(() => {
      const images = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const masked = vit.forward(images, { returnTokens: true, patchMask: { ratio: 0.75, seed: 9 } });
      assert.deepEqual(masked.tokens!.shape, [2, 1 + 4, 16]);
      const full = vit.forward(images, { returnTokens: true });
      assert.deepEqual(full.tokens!.shape, [2, 17, 16]);
      assert.ok(tf.max(tf.abs(tf.sub(masked.pooled, full.pooled))).dataSync()[0] > 1e-4, 'dropping tokens changes the features');
      // ratio 0 keeps every patch, in noise order: attention is permutation-invariant, so the class token agrees
      const none = vit.forward(images, { patchMask: { ratio: 0, seed: 9 } });
      assert.ok(tf.max(tf.abs(tf.sub(none.pooled, full.pooled))).dataSync()[0] < 1e-5);
    });
    for (const v of vit.variables()) v.variable.dispose();
  });

  it('gathers exactly the kept tokens of each image', () => {
    tf.tidy(() => {
      const tokens = tf.tensor3d([[[0], [1], [2]], [[10], [11], [12]]]);
      assert.deepEqual(Array.from(gatherKeptTokens(tokens, new Int32Array([2, 0, 1, 2])).dataSync()), [2, 0, 11, 12]);
    });
  });

  it('encodes a local crop with the position embedding resampled to its grid, and trains through it', async () => {
    const vit = tinyVit();
    tf.tidy(() => {
      const small = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
      const out = vit.forward(small, { returnTokens: true });
      assert.deepEqual(out.tokens!.shape, [2, 1 + 4, 16]);
      // its embedding: the class token's and a 2×2 grid (checked against timm in pos-embed-resample.test.ts)
      assert.deepEqual(resamplePosEmbed(vit.posEmbed, [4, 4], [2, 2]).shape, [1, 5, 16]);
    });
    const pos = vit.variables().find((v) => v.name === 'pos_embed')!.variable;
    await assertFlatTensorCount(3, () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(vit.forward(tf.ones([2, 8, 8, 3]) as tf.Tensor4D, { patchMask: { ratio: 0.5, seed: 1 } }).pooled) as tf.Scalar, [pos]);
      assert.ok(tf.tidy(() => tf.norm(grads[pos.name]).dataSync()[0]) > 0);
      tf.dispose([value, ...Object.values(grads)]);
    });
    for (const v of vit.variables()) v.variable.dispose();
  });
});

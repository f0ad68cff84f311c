import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { bicubicWeights, resamplePosEmbed } from '../../../plugins/image-encoders/pos-embed-resample';
import { describeOnBackends } from '../../helpers/backends';
import { decodeArray, readFixture, type EncodedArray } from '../../nn/torch-fixture';

interface PosEmbedFixture {
  grid: number;
  posEmbed: EncodedArray;
  cases: Array<{ grid: number; antialias: boolean; out: EncodedArray }>;
}

const f = readFixture<PosEmbedFixture>('zoo', 'pos-embed.json');

describeOnBackends('position-embedding resampling', () => {
  for (const c of f.cases) {
    it(`matches timm's resample_abs_pos_embed from a 4×4 to a ${c.grid}×${c.grid} grid (antialias ${c.antialias})`, () => {
      tf.tidy(() => {
        const pos = tf.tensor3d(decodeArray(f.posEmbed), f.posEmbed.shape as [number, number, number]);
        const out = resamplePosEmbed(pos, [f.grid, f.grid], [c.grid, c.grid], { antialias: c.antialias });
        assert.deepEqual(out.shape, c.out.shape);
        const expected = decodeArray(c.out);
        const actual = out.dataSync();
        for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-5 + 1e-5 * Math.abs(expected[i]), `[${i}] ${actual[i]} vs timm ${expected[i]}`);
      });
    });
  }

  it('is the identity for the same grid and keeps constants constant (weights sum to 1)', () => {
    for (const antialias of [true, false]) {
      for (const [a, b] of [[4, 2], [4, 7], [14, 6]]) {
        const w = bicubicWeights(a, b, antialias);
        for (let i = 0; i < b; i++) assert.ok(Math.abs(w.slice(i * a, (i + 1) * a).reduce((s, x) => s + x, 0) - 1) < 1e-6);
      }
    }
    tf.tidy(() => {
      const pos = tf.randomNormal([1, 10, 3]) as tf.Tensor3D;
      assert.equal(resamplePosEmbed(pos, [3, 3], [3, 3]), pos);
    });
  });

  it('passes gradients back to every entry of the original grid', () => {
    tf.tidy(() => {
      const pos = tf.randomNormal([1, 17, 2], 0, 1, 'float32', 1) as tf.Tensor3D;
      const g = tf.grad((p) => tf.sum(tf.square(resamplePosEmbed(p as tf.Tensor3D, [4, 4], [2, 2]))))(pos);
      assert.ok(Array.from(g.dataSync()).every((x) => x !== 0));
    });
  });

  it('rejects a token count that does not match the grid', () => {
    tf.tidy(() => assert.throws(() => resamplePosEmbed(tf.zeros([1, 10, 2]) as tf.Tensor3D, [4, 4], [2, 2]), /10 tokens do not make 1 prefix tokens and a 4×4 grid/));
  });
});

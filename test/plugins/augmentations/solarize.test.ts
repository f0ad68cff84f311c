/** solarize on synthetic random images; expected values computed in plain JS and by PyTorch (fixture). */
import { strict as assert } from 'node:assert';
import { Rng } from '../../../core/random';
import { Solarize } from '../../../plugins/augmentations/solarize';
import { colorFixture, fixtureImages, maxAbsDiff } from '../../core/data/helpers/color-fixture';
import { assertIdentity, assertInRange, assertNoLeak, randomBatch } from './helpers';

describe('solarize', () => {
  const { values, tensor } = randomBatch(5, 4, 4, 3);
  after(() => tensor.dispose());

  it('p = 0 is the identity', () => assertIdentity(new Solarize({ p: 0 }), tensor));

  it('p = 1 inverts every value at or above the threshold', () => {
    const out = new Solarize({ p: 1, threshold: 0.3 }).apply(tensor, new Rng(1));
    const expected = values.map((img) => img.map((row) => row.map((px) => px.map((v) => (v >= 0.3 ? Math.fround(1 - v) : v)))));
    assert.deepEqual(out.arraySync(), expected);
    assertInRange(out);
    out.dispose();
  });

  it('matches torchvision solarize at threshold 0.5 (PyTorch fixture)', () => {
    const fx = colorFixture();
    const images = fixtureImages(fx.images);
    const out = new Solarize({ p: 1 }).apply(images, new Rng(1));
    assert.equal(maxAbsDiff(out, fx.solarize.output), 0);
    out.dispose();
    images.dispose();
  });

  it('leaks no tensor', () => assertNoLeak(new Solarize({ p: 0.5 }), tensor));
});

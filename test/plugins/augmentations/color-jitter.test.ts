/**
 * color-jitter. Each adjustment, fixed to one factor, is checked against torchvision's
 * formulas in PyTorch (fixture); the random order, probability and factor ranges are
 * checked on synthetic random images.
 */
import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { adjustBrightness, adjustSaturation } from '../../../core/data/image-ops';
import { Rng } from '../../../core/random';
import { ColorJitter } from '../../../plugins/augmentations/color-jitter';
import { colorFixture, fixtureImages, maxAbsDiff } from '../../core/data/helpers/color-fixture';
import { assertIdentity, assertInRange, assertNoLeak, randomBatch } from './helpers';

function maxDiff(a: number[][][], b: number[][][]): number {
  const [x, y] = [a.flat(2), b.flat(2)];
  return Math.max(...x.map((v, i) => Math.abs(v - y[i])));
}

describe('color-jitter', () => {
  const fx = colorFixture();
  const { tensor } = randomBatch(16, 5, 5, 2);
  after(() => tensor.dispose());

  it('p = 0 is the identity', () => assertIdentity(new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0 }), tensor));

  it('all amounts 0 is the identity', () => assertIdentity(new ColorJitter({ p: 1 }), tensor));

  for (const name of ['brightness', 'contrast', 'saturation', 'hue'] as const) {
    it(`${name} fixed to one factor matches torchvision adjust_${name} (PyTorch fixture)`, () => {
      fx.factors[name].forEach((factor, i) => {
        const images = fixtureImages(fx.images, [i]);
        const out = new ColorJitter({ [name]: [factor, factor], p: 1 }).apply(images, new Rng(i));
        const diff = maxAbsDiff(out, [fx[name][i]]);
        assert.ok(diff < 2e-6, `image ${i}: max |diff| ${diff}`);
        tf.dispose([images, out]);
      });
    });
  }

  it('applies the adjustments in a random order per image, or b-c-s-h with randomOrder false', () => {
    // brightness x1.5 and saturation x0 do not commute: each image shows which came first.
    const opts = { brightness: [1.5, 1.5] as [number, number], saturation: [0, 0] as [number, number], p: 1 };
    const [bThenS, sThenB] = tf.tidy(() => {
      const b = new Array<number>(16).fill(1.5);
      const s = new Array<number>(16).fill(0);
      return [adjustSaturation(adjustBrightness(tensor, b), s).arraySync(), adjustBrightness(adjustSaturation(tensor, s), b).arraySync()];
    });
    const classify = (out: tf.Tensor4D): string[] => {
      const got = out.arraySync();
      out.dispose();
      return got.map((img, i) => {
        const d1 = maxDiff(img, bThenS[i]);
        const d2 = maxDiff(img, sThenB[i]);
        assert.ok(Math.min(d1, d2) < 1e-6, `image ${i} is neither order`);
        return d1 < 1e-6 ? 'bs' : 'sb';
      });
    };
    const random = classify(new ColorJitter(opts).apply(tensor, new Rng(4)));
    assert.ok(random.includes('bs') && random.includes('sb'), `both orders occur: ${random.join(',')}`);
    const fixed = classify(new ColorJitter({ ...opts, randomOrder: false }).apply(tensor, new Rng(4)));
    assert.ok(fixed.every((o) => o === 'bs'));
  });

  it('draws factors in torchvision ranges and applies with probability p (SLIP setting)', () => {
    const jitter = new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 });
    const plans = jitter.plan(new Rng(5), 2000);
    const applied = plans.filter((p) => p !== undefined);
    assert.ok(Math.abs(applied.length / 2000 - 0.8) < 0.04, `applied ${applied.length} of 2000`);
    for (const plan of applied) {
      for (const a of ['brightness', 'contrast', 'saturation'] as const) assert.ok(plan.factors[a] >= 0.6 && plan.factors[a] <= 1.4);
      assert.ok(plan.factors.hue >= -0.1 && plan.factors.hue <= 0.1);
      assert.deepEqual([...plan.order].sort(), ['brightness', 'contrast', 'hue', 'saturation']);
    }
    const out = jitter.apply(tensor, new Rng(6));
    assertInRange(out);
    out.dispose();
  });

  it('rejects a reversed range', () => {
    assert.throws(() => new ColorJitter({ contrast: [1.2, 0.8] }), /contrast must be \[min, max\]/);
  });

  it('leaks no tensor', () => assertNoLeak(new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 }), tensor));
});

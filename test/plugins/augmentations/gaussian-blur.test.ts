/**
 * gaussian-blur: with one sigma per image it matches torchvision gaussian_blur in PyTorch
 * (fixture); probability, kernel clamping and range on synthetic random images.
 */
import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { drawFlags } from '../../../core/data/random-params';
import { Rng } from '../../../core/random';
import { GaussianBlur } from '../../../plugins/augmentations/gaussian-blur';
import { colorFixture, fixtureImages, maxAbsDiff } from '../../core/data/helpers/color-fixture';
import { assertIdentity, assertInRange, assertNoLeak, randomBatch } from './helpers';

describe('gaussian-blur', () => {
  const { values, tensor } = randomBatch(6, 9, 9, 4);
  after(() => tensor.dispose());

  it('p = 0 is the identity', () => assertIdentity(new GaussianBlur({ p: 0 }), tensor));

  it('matches torchvision gaussian_blur for each sigma (PyTorch fixture)', () => {
    const fx = colorFixture();
    fx.blur.sigmas.forEach((sigma, i) => {
      const images = fixtureImages(fx.images, [i]);
      const out = new GaussianBlur({ sigma: [sigma, sigma], p: 1, kernelSize: fx.blur.kernelSize }).apply(images, new Rng(0));
      const diff = maxAbsDiff(out, [fx.blur.output[i]]);
      assert.ok(diff < 1e-6, `sigma ${sigma}: max |diff| ${diff}`);
      tf.dispose([images, out]);
    });
  });

  it('blurs exactly the images whose draw says so, each with its own sigma', () => {
    const blur = new GaussianBlur({ sigma: [0.1, 2], p: 0.5 });
    const rng = new Rng(21);
    const flags = drawFlags(new Rng(21), 6, 0.5);
    const out = blur.apply(tensor, rng);
    const got = out.arraySync();
    flags.forEach((on, i) => (on ? assert.notDeepEqual(got[i], values[i]) : assert.deepEqual(got[i], values[i])));
    assert.ok(flags.includes(true) && flags.includes(false));
    assertInRange(out);
    out.dispose();
  });

  it('keeps a constant image constant and clamps the kernel to small images', () => {
    const flat = tf.fill([2, 3, 3, 3], 0.25) as tf.Tensor4D;
    const out = new GaussianBlur({ sigma: [2, 2], p: 1 }).apply(flat, new Rng(0)); // kernel 13 > 2*3-1
    assert.deepEqual(out.shape, [2, 3, 3, 3]);
    for (const v of out.dataSync()) assert.ok(Math.abs(v - 0.25) < 1e-6);
    tf.dispose([flat, out]);
  });

  it('rejects an even kernel size and a reversed range', () => {
    assert.throws(() => new GaussianBlur({ kernelSize: 4 }), /must be odd/);
    assert.throws(() => new GaussianBlur({ sigma: [2, 1] }), /\[min, max\]/);
  });

  it('leaks no tensor', () => assertNoLeak(new GaussianBlur({ p: 0.5 }), tensor));
});

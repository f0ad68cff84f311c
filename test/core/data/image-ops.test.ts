/**
 * Batched colour and blur maths against PyTorch values computed by torchvision's tensor
 * formulas (test/reference/augmentations.py). Data: random images plus HSV edge-case pixels.
 */
import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  gaussianKernel1d,
  grayscale,
  hsvToRgb,
  rgbToHsv,
  selectTransformed,
  separableConvPerSample,
} from '../../../core/data/image-ops';
import { colorFixture, fixtureImages, maxAbsDiff } from './helpers/color-fixture';

describe('image ops (vs torchvision formulas in PyTorch)', () => {
  const fx = colorFixture();

  it('grayscale', () => {
    // torchvision with num_output_channels=3: the luma replicated over RGB.
    const replicated = fx.grayscale.map((img) => img.map((row) => row.map(([l]) => [l, l, l])));
    tf.tidy(() => assert.ok(maxAbsDiff(grayscale(fixtureImages(fx.images)), replicated) < 1e-6));
  });

  for (const [name, op] of [
    ['brightness', adjustBrightness],
    ['contrast', adjustContrast],
    ['saturation', adjustSaturation],
    ['hue', adjustHue],
  ] as const) {
    it(`adjust ${name} with a factor per image`, () => {
      tf.tidy(() => {
        const out = op(fixtureImages(fx.images), fx.factors[name]);
        const diff = maxAbsDiff(out, fx[name]);
        assert.ok(diff < 2e-6, `max |diff| ${diff}`);
      });
    });
  }

  it('RGB -> HSV -> RGB, including grey, black, white and tied channels', () => {
    tf.tidy(() => {
      const [h, s, v] = rgbToHsv(fixtureImages(fx.images));
      assert.ok(maxAbsDiff(tf.concat([h, s, v], 3), fx.hsv) < 2e-6);
      assert.ok(maxAbsDiff(hsvToRgb(h, s, v), fx.hsvRoundTrip) < 2e-6);
    });
  });

  it('per-image gaussian blur with reflect padding', () => {
    tf.tidy(() => {
      const k = fx.blur.kernelSize;
      const kernels = new Float32Array(fx.blur.sigmas.length * k);
      fx.blur.sigmas.forEach((s, i) => kernels.set(gaussianKernel1d(k, s), i * k));
      const diff = maxAbsDiff(separableConvPerSample(fixtureImages(fx.images), kernels, k), fx.blur.output);
      assert.ok(diff < 1e-6, `max |diff| ${diff}`);
    });
  });

  it('selectTransformed keeps the transform only for the selected images, the others bit for bit', () => {
    tf.tidy(() => {
      const x = fixtureImages(fx.images);
      const a = x.arraySync();
      const out = selectTransformed(x, [false, true, false, true], (y) => y.add(1) as tf.Tensor4D).arraySync();
      assert.deepEqual(out[0], a[0]);
      assert.deepEqual(out[2], a[2]);
      for (const i of [1, 3]) assert.deepEqual(out[i], a[i].map((row) => row.map((p) => p.map((c) => Math.fround(c + 1)))));
      const none = selectTransformed(x, [false, false, false, false], () => assert.fail('not called'));
      assert.notEqual(none, x, 'a new tensor even when nothing changes');
      assert.deepEqual(none.arraySync(), a);
    });
  });
});

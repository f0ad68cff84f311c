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
  applyGroups,
  gaussianKernel1d,
  grayscale,
  hsvToRgb,
  perSample,
  rgbToHsv,
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
        const out = op(fixtureImages(fx.images), perSample(fx.factors[name]));
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

  it('applyGroups transforms only its groups and leaves the other images bit for bit', () => {
    tf.tidy(() => {
      const x = fixtureImages(fx.images);
      const out = applyGroups(x, [
        { positions: [1], transform: (s) => s.mul(0) as tf.Tensor4D },
        { positions: [3], transform: (s) => s.add(1) as tf.Tensor4D },
      ]);
      const [a, b] = [x.arraySync(), out.arraySync()];
      assert.deepEqual(b[0], a[0]);
      assert.deepEqual(b[2], a[2]);
      assert.ok((b[1].flat(2) as number[]).every((v) => v === 0));
      assert.deepEqual(b[3], a[3].map((row) => row.map((p) => p.map((c) => Math.fround(c + 1)))));
      const none = applyGroups(x, [{ positions: [], transform: () => assert.fail('not called') }]);
      assert.notEqual(none, x, 'a new tensor even when nothing changes');
      assert.deepEqual(none.arraySync(), a);
    });
  });
});

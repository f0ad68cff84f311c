/**
 * random-resized-crop on synthetic images: the sampled boxes (torchvision get_params),
 * and the batched crop checked against bilinear interpolation computed in plain JS.
 */
import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { Rng } from '../../../core/random';
import randomResizedCropPlugin, { RandomResizedCrop, sampleCropBox } from '../../../plugins/augmentations/random-resized-crop';
import type { PluginContext } from '../../../core/plugins/define';
import { assertInRange, assertNoLeak, randomBatch } from './helpers';

/** Bilinear sample of img at fractional (y, x), edges clamped. */
function bilinear(img: number[][][], y: number, x: number): number[] {
  const h = img.length;
  const w = img[0].length;
  const y0 = Math.min(h - 1, Math.floor(y));
  const x0 = Math.min(w - 1, Math.floor(x));
  const y1 = Math.min(h - 1, y0 + 1);
  const x1 = Math.min(w - 1, x0 + 1);
  const [dy, dx] = [y - y0, x - x0];
  return [0, 1, 2].map(
    (c) => (1 - dy) * ((1 - dx) * img[y0][x0][c] + dx * img[y0][x1][c]) + dy * ((1 - dx) * img[y1][x0][c] + dx * img[y1][x1][c]),
  );
}

describe('random-resized-crop', () => {
  const { values, tensor } = randomBatch(4, 12, 10, 6);
  after(() => tensor.dispose());

  it('samples boxes inside the image, with area within the scale range and aspect within the ratio range', () => {
    const rng = new Rng(13);
    const [H, W] = [200, 160];
    for (const scale of [[0.08, 1], [0.5, 1], [0.2, 0.3]] as const) {
      for (let i = 0; i < 500; i++) {
        const b = sampleCropBox(rng, H, W, scale, [3 / 4, 4 / 3]);
        assert.ok(b.top >= 0 && b.left >= 0 && b.top + b.height <= H && b.left + b.width <= W, JSON.stringify(b));
        // w and h are rounded to whole pixels: allow that rounding, no more.
        const areaSlack = (b.width + b.height) / 2 + 0.25;
        assert.ok(b.width * b.height >= scale[0] * H * W - areaSlack && b.width * b.height <= scale[1] * H * W + areaSlack, `area of ${JSON.stringify(b)}`);
        const ratio = b.width / b.height;
        assert.ok(ratio >= (3 / 4) * (1 - 1 / b.height) - 1e-9 && ratio <= (4 / 3) * (1 + 1 / b.height) + 1e-9, `ratio ${ratio}`);
      }
    }
  });

  it('falls back to a centre crop with the ratio clamped when nothing fits', () => {
    // A 10x100 strip cannot hold a near-square crop of 90% of its area: centre crop, ratio 4/3.
    const box = sampleCropBox(new Rng(0), 10, 100, [0.9, 1], [3 / 4, 4 / 3]);
    assert.deepEqual(box, { top: 0, left: 43, height: 10, width: 13 });
  });

  it('crops each image to its own box and resizes it bilinearly (corner to corner)', () => {
    const crop = new RandomResizedCrop({ scale: [0.2, 0.8] }, 5);
    const boxes = crop.sampleBoxes(new Rng(77), 4, 12, 10);
    const out = crop.apply(tensor, new Rng(77));
    assert.deepEqual(out.shape, [4, 5, 5, 3]);
    const got = out.arraySync();
    boxes.forEach((b, i) => {
      for (let oy = 0; oy < 5; oy++) {
        for (let ox = 0; ox < 5; ox++) {
          const want = bilinear(values[i], b.top + (oy * (b.height - 1)) / 4, b.left + (ox * (b.width - 1)) / 4);
          got[i][oy][ox].forEach((v, c) => assert.ok(Math.abs(v - want[c]) < 1e-5, `image ${i} (${oy},${ox}) ${v} vs ${want[c]}`));
        }
      }
    });
    assertInRange(out);
    out.dispose();
  });

  it('is the identity with scale [1, 1] and ratio [1, 1] on a square image of the output size', () => {
    const square = randomBatch(3, 7, 7, 9);
    const out = new RandomResizedCrop({ scale: [1, 1], ratio: [1, 1] }, 7).apply(square.tensor, new Rng(0));
    assert.deepEqual(out.arraySync(), square.values);
    tf.dispose([out, square.tensor]);
  });

  it('outputs the model imageSize unless size is given, and is deterministic for a seed', () => {
    const ctx = { settings: { imageSize: 6, embedDim: 8 } } as PluginContext;
    const crop = randomResizedCropPlugin.create!({}, ctx) as RandomResizedCrop;
    const [a, b] = [crop.apply(tensor, new Rng(3)), crop.apply(tensor, new Rng(3))];
    assert.deepEqual(a.shape, [4, 6, 6, 3]);
    assert.deepEqual(a.arraySync(), b.arraySync());
    const sized = randomResizedCropPlugin.create!({ size: 4 }, ctx) as RandomResizedCrop;
    const c = sized.apply(tensor, new Rng(3));
    assert.deepEqual(c.shape, [4, 4, 4, 3]);
    tf.dispose([a, b, c]);
    assert.throws(() => new RandomResizedCrop({ scale: [0.9, 0.1] }, 4), /scale must be \[min, max\]/);
  });

  it('leaks no tensor', () => assertNoLeak(new RandomResizedCrop({}, 8), tensor));
});

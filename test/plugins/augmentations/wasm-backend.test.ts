/**
 * Every augmentation on the wasm backend (the portable one slipkit falls back to) gives
 * the cpu backend's result: no op outside what wasm supports. Synthetic random images.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { strict as assert } from 'node:assert';
import type { Augmentation } from '../../../core/contracts/augmentation';
import { Rng } from '../../../core/random';
import { ColorJitter } from '../../../plugins/augmentations/color-jitter';
import { GaussianBlur } from '../../../plugins/augmentations/gaussian-blur';
import { Grayscale } from '../../../plugins/augmentations/grayscale';
import { HorizontalFlip } from '../../../plugins/augmentations/horizontal-flip';
import { Normalize } from '../../../plugins/augmentations/normalize';
import { RandomResizedCrop } from '../../../plugins/augmentations/random-resized-crop';
import { Solarize } from '../../../plugins/augmentations/solarize';
import { randomBatch } from './helpers';

const augmentations: Array<[string, () => Augmentation]> = [
  ['random-resized-crop', () => new RandomResizedCrop({ scale: [0.08, 1] }, 6)],
  ['color-jitter', () => new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 })],
  ['grayscale', () => new Grayscale({ p: 0.5 })],
  ['gaussian-blur', () => new GaussianBlur({ sigma: [0.1, 2], p: 0.5 })],
  ['solarize', () => new Solarize({ p: 0.5 })],
  ['horizontal-flip', () => new HorizontalFlip({ p: 0.5 })],
  ['normalize', () => new Normalize()],
];

async function runAll(): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  const { values } = randomBatch(6, 9, 9, 12);
  for (const [name, make] of augmentations) {
    const images = tf.tensor4d(values);
    const result = make().apply(images, new Rng(5));
    out.set(name, (await result.data()) as Float32Array);
    tf.dispose([images, result]);
  }
  return out;
}

describe('augmentations on the wasm backend', () => {
  let previous = '';
  before(() => {
    previous = tf.getBackend();
  });
  after(async () => {
    await tf.setBackend(previous);
  });

  it('agree with the cpu backend', async () => {
    await tf.setBackend('cpu');
    const cpu = await runAll();
    assert.ok(await tf.setBackend('wasm'), 'wasm backend starts');
    const wasm = await runAll();
    for (const [name] of augmentations) {
      const [a, b] = [cpu.get(name)!, wasm.get(name)!];
      assert.equal(a.length, b.length, name);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      assert.ok(worst < 1e-5, `${name}: max |cpu - wasm| ${worst}`);
    }
  });
});

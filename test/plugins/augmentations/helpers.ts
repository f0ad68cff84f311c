import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import type { Augmentation } from '../../../core/contracts/augmentation';
import { Rng } from '../../../core/random';
import { assertFlatTensorCount } from '../../helpers/memory';

/** A batch of random images in [0, 1] (synthetic), as nested arrays and as a tensor. */
export function randomBatch(n: number, h: number, w: number, seed = 1): { values: number[][][][]; tensor: tf.Tensor4D } {
  const rng = new Rng(seed);
  const values = Array.from({ length: n }, () =>
    Array.from({ length: h }, () => Array.from({ length: w }, () => [0, 0, 0].map(() => Math.fround(rng.next())))),
  );
  return { values, tensor: tf.tensor4d(values) };
}

/** p = 0 must give back the images bit for bit, as a new tensor, without disposing the input. */
export function assertIdentity(aug: Augmentation, images: tf.Tensor4D): void {
  const out = aug.apply(images, new Rng(3));
  assert.notEqual(out, images);
  assert.deepEqual(out.arraySync(), images.arraySync());
  assert.equal(images.isDisposed, false);
  out.dispose();
}

/** Every output value in [lo, hi]; shape as expected. */
export function assertInRange(out: tf.Tensor, lo = 0, hi = 1): void {
  const v = out.dataSync();
  for (let i = 0; i < v.length; i++) assert.ok(v[i] >= lo && v[i] <= hi, `value ${v[i]} at ${i} outside [${lo}, ${hi}]`);
}

/** Applying the augmentation repeatedly (and disposing its output) leaks no tensor. */
export async function assertNoLeak(aug: Augmentation, images: tf.Tensor4D): Promise<void> {
  const rng = new Rng(9);
  await assertFlatTensorCount(4, () => aug.apply(images, rng).dispose());
}

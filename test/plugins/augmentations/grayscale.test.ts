/**
 * grayscale on synthetic random images; the expected luma is computed in plain JS (float64
 * dot product of the float32 weights, rounded once to float32), so any mismatch beyond one
 * float32 rounding step of the dot product fails.
 */
import type * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { drawFlags } from '../../../core/data/random-params';
import { Rng } from '../../../core/random';
import { Grayscale } from '../../../plugins/augmentations/grayscale';
import { assertIdentity, assertInRange, assertNoLeak, randomBatch } from './helpers';

const f = Math.fround;
const grey = (img: number[][][]): number[][][] =>
  img.map((row) =>
    row.map(([r, g, b]) => {
      const l = f(r * f(0.2989) + g * f(0.587) + b * f(0.114));
      return [l, l, l];
    }),
  );

/** Asserts equality up to one float32 rounding (2^-24 relative) per value. */
function assertCloseToUlp(out: tf.Tensor4D, expected: number[][][][]): void {
  const got = out.arraySync().flat(3);
  expected.flat(3).forEach((e, i) => assert.ok(Math.abs(got[i] - e) <= Math.abs(e) * 2 ** -23, `value ${i}: ${got[i]} vs ${e}`));
}

describe('grayscale', () => {
  const { values, tensor } = randomBatch(8, 3, 4, 5);
  after(() => tensor.dispose());

  it('p = 0 is the identity', () => assertIdentity(new Grayscale({ p: 0 }), tensor));

  it('p = 1 turns every image into its luma on three channels', () => {
    const out = new Grayscale({ p: 1 }).apply(tensor, new Rng(0));
    assertCloseToUlp(out, values.map(grey));
    assertInRange(out);
    out.dispose();
  });

  it('p = 0.2 greys exactly the images whose draw says so (SLIP setting)', () => {
    const flags = drawFlags(new Rng(7), 8, 0.2);
    assert.ok(flags.includes(true) && flags.includes(false), 'seed gives a mix');
    const out = new Grayscale({ p: 0.2 }).apply(tensor, new Rng(7));
    assertCloseToUlp(out, values.map((img, i) => (flags[i] ? grey(img) : img)));
    out.arraySync().forEach((img, i) => flags[i] || assert.deepEqual(img, values[i], `image ${i} untouched, bit for bit`));
    out.dispose();
  });

  it('leaks no tensor', () => assertNoLeak(new Grayscale({ p: 0.5 }), tensor));
});

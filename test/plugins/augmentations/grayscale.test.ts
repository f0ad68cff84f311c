/**
 * grayscale on synthetic random images; the expected luma is computed in plain JS with
 * float32 rounding at each step (as tfjs stores every intermediate), so the match is exact.
 */
import { strict as assert } from 'node:assert';
import { drawFlags } from '../../../core/data/random-params';
import { Rng } from '../../../core/random';
import { Grayscale } from '../../../plugins/augmentations/grayscale';
import { assertIdentity, assertInRange, assertNoLeak, randomBatch } from './helpers';

const f = Math.fround;
const grey = (img: number[][][]): number[][][] =>
  img.map((row) =>
    row.map(([r, g, b]) => {
      const l = f(f(f(r * f(0.2989)) + f(g * f(0.587))) + f(b * f(0.114)));
      return [l, l, l];
    }),
  );

describe('grayscale', () => {
  const { values, tensor } = randomBatch(8, 3, 4, 5);
  after(() => tensor.dispose());

  it('p = 0 is the identity', () => assertIdentity(new Grayscale({ p: 0 }), tensor));

  it('p = 1 turns every image into its luma on three channels, exactly', () => {
    const out = new Grayscale({ p: 1 }).apply(tensor, new Rng(0));
    assert.deepEqual(out.arraySync(), values.map(grey));
    assertInRange(out);
    out.dispose();
  });

  it('p = 0.2 greys exactly the images whose draw says so (SLIP setting)', () => {
    const flags = drawFlags(new Rng(7), 8, 0.2);
    const out = new Grayscale({ p: 0.2 }).apply(tensor, new Rng(7));
    assert.deepEqual(out.arraySync(), values.map((img, i) => (flags[i] ? grey(img) : img)));
    out.dispose();
  });

  it('leaks no tensor', () => assertNoLeak(new Grayscale({ p: 0.5 }), tensor));
});

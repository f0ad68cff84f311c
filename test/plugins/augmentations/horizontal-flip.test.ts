/** horizontal-flip on synthetic random images; expected values computed in plain JS. */
import { strict as assert } from 'node:assert';
import { drawFlags } from '../../../core/data/random-params';
import { Rng } from '../../../core/random';
import { HorizontalFlip } from '../../../plugins/augmentations/horizontal-flip';
import { assertIdentity, assertNoLeak, randomBatch } from './helpers';

const mirror = (img: number[][][]): number[][][] => img.map((row) => [...row].reverse());

describe('horizontal-flip', () => {
  const { values, tensor } = randomBatch(6, 4, 5);
  after(() => tensor.dispose());

  it('p = 0 is the identity', () => assertIdentity(new HorizontalFlip({ p: 0 }), tensor));

  it('p = 1 mirrors every image exactly', () => {
    const out = new HorizontalFlip({ p: 1 }).apply(tensor, new Rng(0));
    assert.deepEqual(out.arraySync(), values.map(mirror));
    out.dispose();
  });

  it('p = 0.5 mirrors exactly the images whose draw says so', () => {
    const flags = drawFlags(new Rng(42), 6, 0.5);
    assert.ok(flags.includes(true) && flags.includes(false), 'seed gives a mix');
    const out = new HorizontalFlip({ p: 0.5 }).apply(tensor, new Rng(42));
    assert.deepEqual(out.arraySync(), values.map((img, i) => (flags[i] ? mirror(img) : img)));
    out.dispose();
  });

  it('defaults to p = 0.5 and leaks no tensor', async () => {
    const out = new HorizontalFlip().apply(tensor, new Rng(42));
    const flags = drawFlags(new Rng(42), 6, 0.5);
    assert.deepEqual(out.arraySync(), values.map((img, i) => (flags[i] ? mirror(img) : img)));
    out.dispose();
    await assertNoLeak(new HorizontalFlip({ p: 0.5 }), tensor);
  });
});

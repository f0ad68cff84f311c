/** Epoch orders and the shuffle buffer (no data). */
import { strict as assert } from 'node:assert';
import { bufferShuffle, epochOrder } from '../../../core/data/order';
import { Rng } from '../../../core/random';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* count(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}

describe('data order', () => {
  it('epochOrder is the identity without shuffling and a seeded permutation per epoch with it', () => {
    assert.deepEqual([...epochOrder(5, { seed: 1, epoch: 0, shuffle: false })], [0, 1, 2, 3, 4]);
    const a = epochOrder(50, { seed: 1, epoch: 0, shuffle: true });
    assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(epochOrder(50, { seed: 1, epoch: 0, shuffle: true }), a);
    assert.notDeepEqual(epochOrder(50, { seed: 1, epoch: 1, shuffle: true }), a);
    assert.notDeepEqual(epochOrder(50, { seed: 2, epoch: 0, shuffle: true }), a);
  });

  it('bufferShuffle emits every item once, deterministically, mixing within the buffer', async () => {
    const a = await collect(bufferShuffle(count(100), 10, new Rng(3)));
    assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
    assert.deepEqual(await collect(bufferShuffle(count(100), 10, new Rng(3))), a);
    assert.notDeepEqual(a, Array.from({ length: 100 }, (_, i) => i));
    // An item can only come out after at most bufferSize later items have arrived.
    a.forEach((item, position) => assert.ok(item <= position + 10, `item ${item} at ${position}`));
    assert.deepEqual(await collect(bufferShuffle(count(3), 10, new Rng(1))).then((x) => x.sort()), [0, 1, 2]);
  });
});

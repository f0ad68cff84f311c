import { strict as assert } from 'node:assert';
import type { Dataset, Sample, SampleOptions } from '../../../core/contracts/dataset';
import { datasetSubset } from '../../../core/eval/subset';
import { Rng } from '../../../core/random';

/** Ten samples; a shuffled epoch is a seeded permutation, as real datasets do. */
function numbered(): Dataset & { requests: SampleOptions[] } {
  const requests: SampleOptions[] = [];
  const make = (i: number): Sample => ({
    key: `k${i}`,
    label: i,
    image: { kind: 'pixels', pixels: new Uint8Array(1), width: 1, height: 1, channels: 1, origin: `#${i}` },
  });
  return {
    requests,
    classNames: ['a', 'b'],
    promptTemplates: ['{}'],
    size: async () => 10,
    async *samples(options) {
      requests.push(options);
      const order = [...Array(10).keys()];
      if (options.shuffle) new Rng(options.seed).shuffle(order);
      for (const i of order) yield make(i);
    },
  };
}

async function keys(ds: Dataset, options: SampleOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const s of ds.samples(options)) out.push(s.key);
  return out;
}

describe('datasetSubset', () => {
  it('takes the first n of the seed-0 shuffle, the same whatever the caller seed', async () => {
    const base = numbered();
    const subset = datasetSubset(base, 4);
    const seed0Order = (await keys(numbered(), { seed: 0, epoch: 0, shuffle: true })).slice(0, 4);
    assert.deepEqual(await keys(subset, { seed: 7, epoch: 3, shuffle: false }), seed0Order);
    assert.deepEqual(base.requests, [{ seed: 0, epoch: 0, shuffle: true }]);
    assert.equal(await subset.size(), 4);
    assert.deepEqual(subset.classNames, ['a', 'b']);
    assert.deepEqual(subset.promptTemplates, ['{}']);
  });

  it('shuffles the subset itself when asked, differently per epoch', async () => {
    const subset = datasetSubset(numbered(), 6);
    const plain = await keys(subset, { seed: 1, epoch: 0, shuffle: false });
    const e0 = await keys(subset, { seed: 1, epoch: 0, shuffle: true });
    const e1 = await keys(subset, { seed: 1, epoch: 1, shuffle: true });
    assert.deepEqual([...e0].sort(), [...plain].sort());
    assert.deepEqual([...e1].sort(), [...plain].sort());
    assert.notDeepEqual(e0, e1);
    assert.deepEqual(await keys(subset, { seed: 1, epoch: 0, shuffle: true }), e0);
  });

  it('is capped by the dataset size', async () => {
    assert.equal(await datasetSubset(numbered(), 50).size(), 10);
    assert.equal((await keys(datasetSubset(numbered(), 50), { seed: 0, epoch: 0, shuffle: false })).length, 10);
  });
});

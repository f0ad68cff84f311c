import type { Dataset, Sample, SampleOptions } from '../contracts/dataset';
import { Rng } from '../random';

/** The shuffle seed that picks a `limit` subset: fixed, so every run scores the same samples. */
export const SUBSET_SEED = 0;

/**
 * The first `size` samples of `dataset` in its seed-0 shuffled order: a random, fixed
 * subset that needs no full pass. When the caller asks for a shuffled epoch, the subset
 * itself is shuffled (held in memory; its samples are still undecoded).
 */
export function datasetSubset(dataset: Dataset, size: number): Dataset {
  async function* firstSamples(): AsyncGenerator<Sample> {
    if (size <= 0) return;
    let taken = 0;
    for await (const sample of dataset.samples({ seed: SUBSET_SEED, epoch: 0, shuffle: true })) {
      yield sample;
      if (++taken >= size) return;
    }
  }
  return {
    get classNames() {
      return dataset.classNames;
    },
    get promptTemplates() {
      return dataset.promptTemplates;
    },
    async size() {
      const full = await dataset.size();
      return full === undefined ? undefined : Math.min(full, size);
    },
    async *samples(options: SampleOptions) {
      if (!options.shuffle) {
        yield* firstSamples();
        return;
      }
      const held: Sample[] = [];
      for await (const s of firstSamples()) held.push(s);
      yield* Rng.derive(options.seed, `subset-epoch-${options.epoch}`).shuffle(held);
    },
  };
}

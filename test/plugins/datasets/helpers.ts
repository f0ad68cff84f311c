import type { Dataset, Sample } from '../../../core/contracts/dataset';
import { DataLoader, type Batch, type LoaderOptions } from '../../../core/data/loader';
import { Logger } from '../../../core/logger';

export const quiet = new Logger('silent');

/** Every sample of one epoch, in order. */
export async function allSamples(dataset: Dataset, seed = 0, epoch = 0, shuffle = false): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of dataset.samples({ seed, epoch, shuffle })) out.push(s);
  return out;
}

/** One non-repeating pass through a DataLoader; images are read back as arrays and disposed. */
export async function loadAll(dataset: Dataset, extra: Partial<LoaderOptions> = {}): Promise<Array<Omit<Batch, 'images'> & { pixels: Float32Array }>> {
  const loader = new DataLoader(dataset, {
    batchSize: 64,
    loadSize: 8,
    workers: 0,
    prefetchBatches: 1,
    seed: 0,
    shuffle: false,
    repeat: false,
    maxFailureFraction: 0,
    log: quiet,
    ...extra,
  });
  const out = [];
  try {
    for (let b = await loader.next(); b; b = await loader.next()) {
      const pixels = (await b.images.data()) as Float32Array;
      b.images.dispose();
      out.push({ captions: b.captions, labels: b.labels, keys: b.keys, position: b.position, pixels });
    }
  } finally {
    await loader.close();
  }
  return out;
}

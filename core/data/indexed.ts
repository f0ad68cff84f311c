import type { Sample, SampleOptions } from '../contracts/dataset';
import { epochOrder } from './order';

/** Loads started ahead of the consumer, so file reads overlap instead of queueing one by one. */
const DEFAULT_READ_AHEAD = 8;

/**
 * The samples of an indexed dataset (items 0..count-1) in epoch order, loading up to
 * `readAhead` items concurrently while yielding them strictly in order. An error from
 * `load` surfaces when its item's turn comes.
 */
export async function* indexedSamples(
  count: number,
  options: SampleOptions,
  load: (index: number) => Sample | Promise<Sample>,
  readAhead = DEFAULT_READ_AHEAD,
): AsyncGenerator<Sample> {
  const order = epochOrder(count, options);
  const window: Array<Promise<Sample>> = [];
  let next = 0;
  const startOne = (): void => {
    const index = order[next++];
    const promise = Promise.resolve().then(() => load(index));
    promise.catch(() => undefined); // handled when awaited below; avoids an unhandled-rejection report meanwhile
    window.push(promise);
  };
  while (next < count && window.length < readAhead) startOne();
  while (window.length > 0) {
    const sample = await window.shift()!;
    if (next < count) startOne();
    yield sample;
  }
}

import { Rng } from '../random';
import type { SampleOptions } from '../contracts/dataset';

/**
 * The order in which an indexed dataset visits its items in one epoch: identity without
 * shuffling, else a permutation that depends only on (seed, epoch), so a resumed run
 * replays the same order.
 */
export function epochOrder(count: number, options: SampleOptions, label = 'order'): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (!options.shuffle) return order;
  const rng = Rng.derive(options.seed, `${label}:${options.epoch}`);
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * Shuffles a stream through a fixed-size buffer (as webdataset does): the buffer fills,
 * then every arriving item swaps with a random one that is emitted. Deterministic for a
 * given rng and input order.
 */
export async function* bufferShuffle<T>(items: AsyncIterable<T>, bufferSize: number, rng: Rng): AsyncGenerator<T> {
  const buffer: T[] = [];
  for await (const item of items) {
    if (buffer.length < bufferSize) {
      buffer.push(item);
      continue;
    }
    const j = rng.int(bufferSize);
    const out = buffer[j];
    buffer[j] = item;
    yield out;
  }
  rng.shuffle(buffer);
  yield* buffer;
}

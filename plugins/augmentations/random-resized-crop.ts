import * as tf from '@tensorflow/tfjs';
import { type Augmentation, definePlugin, type JsonSchema, type Rng, sampleRng, withDefaults } from '../../core/toolkit';

export interface RandomResizedCropOptions {
  scale: [number, number];
  ratio: [number, number];
  /** Output side; default: the model's imageSize. */
  size?: number;
}

/** A crop in pixels: rows [top, top + height), columns [left, left + width). */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

const pair = (description: string, dflt: [number, number], min: JsonSchema): JsonSchema => ({
  type: 'array',
  items: { type: 'number', ...min },
  minItems: 2,
  maxItems: 2,
  default: dflt,
  description,
});

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    scale: pair('Range of the crop area as a fraction of the image area.', [0.08, 1], { exclusiveMinimum: 0, maximum: 1 }),
    ratio: pair('Range of the crop aspect ratio (width / height), sampled log-uniformly.', [3 / 4, 4 / 3], { exclusiveMinimum: 0 }),
    size: { type: 'integer', minimum: 1, description: 'Output side in pixels (default: data.imageSize).' },
  },
};

/**
 * torchvision RandomResizedCrop.get_params: up to 10 tries at a random area and log-uniform
 * aspect ratio that fit the image, else a centre crop with the ratio clamped into range.
 */
export function sampleCropBox(rng: Rng, height: number, width: number, scale: readonly number[], ratio: readonly number[]): CropBox {
  const area = height * width;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const w = Math.round(Math.sqrt(targetArea * aspect));
    const h = Math.round(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { top: rng.int(height - h + 1), left: rng.int(width - w + 1), height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(ratio[0], ratio[1])) h = Math.round(w / Math.min(ratio[0], ratio[1]));
  else if (inRatio > Math.max(ratio[0], ratio[1])) w = Math.round(h * Math.max(ratio[0], ratio[1]));
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/**
 * Crops a random box per image and resizes it to size x size, bilinearly, for the whole
 * batch at once (tf.image.cropAndResize; box corners map to output corners).
 */
export class RandomResizedCrop implements Augmentation {
  private readonly options: RandomResizedCropOptions;
  /** An explicit `size` is the view's size (a multi-crop local crop); without it the view has the model's. */
  readonly outputSize?: number;

  constructor(options: Partial<RandomResizedCropOptions>, defaultSize: number) {
    this.options = withDefaults(schema, options);
    const { scale, ratio } = this.options;
    if (scale[0] > scale[1]) throw new RangeError(`random-resized-crop scale must be [min, max], got ${JSON.stringify(scale)}`);
    if (ratio[0] > ratio[1]) throw new RangeError(`random-resized-crop ratio must be [min, max], got ${JSON.stringify(ratio)}`);
    this.outputSize = this.options.size;
    this.options.size ??= defaultSize;
  }

  /** The boxes apply() would use for a batch of n images of height x width (consumes rng the same way). */
  sampleBoxes(rng: Rng, n: number, height: number, width: number): CropBox[] {
    const boxes: CropBox[] = [];
    for (let i = 0; i < n; i++) boxes.push(sampleCropBox(sampleRng(rng, i), height, width, this.options.scale, this.options.ratio));
    return boxes;
  }

  apply(images: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    const [n, height, width] = images.shape;
    const boxes = this.sampleBoxes(rng, n, height, width);
    const size = this.options.size!;
    const coords = new Float32Array(n * 4);
    const yScale = Math.max(1, height - 1);
    const xScale = Math.max(1, width - 1);
    boxes.forEach((b, i) => {
      coords.set([b.top / yScale, b.left / xScale, (b.top + b.height - 1) / yScale, (b.left + b.width - 1) / xScale], i * 4);
    });
    return tf.tidy(() => {
      const boxTensor = tf.tensor2d(coords, [n, 4]);
      const indices = tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i), 'int32');
      return tf.image.cropAndResize(images, boxTensor, indices, [size, size], 'bilinear');
    });
  }
}

export default definePlugin<'augmentation', Partial<RandomResizedCropOptions>>({
  kind: 'augmentation',
  name: 'random-resized-crop',
  description: 'Random area/aspect crop per image, resized to the model input size.',
  schema,
  create: (options, ctx) => new RandomResizedCrop(options, ctx.settings.imageSize),
});

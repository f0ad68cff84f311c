import * as tf from '@tensorflow/tfjs';
import {
  type Augmentation,
  definePlugin,
  drawFlags,
  gaussianKernel1d,
  type JsonSchema,
  type Rng,
  sampleRng,
  selectTransformed,
  separableConvPerSample,
  withDefaults,
} from '../../core/toolkit';

export interface GaussianBlurOptions {
  sigma: [number, number];
  p: number;
  kernelSize?: number;
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    sigma: {
      type: 'array',
      items: { type: 'number', exclusiveMinimum: 0 },
      minItems: 2,
      maxItems: 2,
      default: [0.1, 2.0],
      description: 'Range of the blur standard deviation in pixels of the augmented image, drawn per image.',
    },
    p: { type: 'number', minimum: 0, maximum: 1, default: 0.5, description: 'Probability of blurring each image.' },
    kernelSize: {
      type: 'integer',
      minimum: 3,
      description: 'Odd kernel size (default: 2·ceil(3·max sigma) + 1, so the kernel covers ±3σ).',
    },
  },
};

/**
 * With probability p, blurs each image with a gaussian of its own sigma (uniform in the
 * range), as SLIP and MoCo v3 do. Separable, reflect-padded (torchvision gaussian_blur);
 * the per-image kernels run as one depthwise convolution per axis.
 */
export class GaussianBlur implements Augmentation {
  private readonly options: GaussianBlurOptions;
  private readonly kernelSize: number;

  constructor(options: Partial<GaussianBlurOptions> = {}) {
    this.options = withDefaults(schema, options);
    const [lo, hi] = this.options.sigma;
    if (lo > hi) throw new RangeError(`gaussian-blur sigma must be [min, max], got ${JSON.stringify(this.options.sigma)}`);
    this.kernelSize = this.options.kernelSize ?? 2 * Math.ceil(3 * hi) + 1;
    if (this.kernelSize % 2 !== 1) throw new RangeError(`gaussian-blur kernelSize must be odd, got ${this.kernelSize}`);
  }

  apply(images: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    const n = images.shape[0];
    const flags = drawFlags(rng, n, this.options.p);
    const sigmas = flags.map((on, i) => (on ? sampleRng(rng, i).uniform(this.options.sigma[0], this.options.sigma[1]) : 0));
    // Reflect padding needs the half-kernel to be smaller than the image: k <= 2·side - 1 (odd).
    const side = Math.min(images.shape[1], images.shape[2]);
    const kernelSize = Math.min(this.kernelSize, 2 * side - 1);
    // The whole batch is convolved (an image left sharp gets a delta kernel, and its pixels
    // are taken from the input anyway): one depthwise pass is cheaper than gathering the
    // selected images apart on most backends.
    const kernels = new Float32Array(n * kernelSize);
    flags.forEach((on, i) => {
      if (on) kernels.set(gaussianKernel1d(kernelSize, sigmas[i]), i * kernelSize);
      else kernels[i * kernelSize + (kernelSize - 1) / 2] = 1;
    });
    return tf.tidy(() => selectTransformed(images, flags, (x) => separableConvPerSample(x, kernels, kernelSize)));
  }
}

export default definePlugin<'augmentation', Partial<GaussianBlurOptions>>({
  kind: 'augmentation',
  name: 'gaussian-blur',
  description: 'Gaussian blur with a per-image sigma, with probability p.',
  schema,
  create: (options) => new GaussianBlur(options),
});

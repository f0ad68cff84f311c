import * as tf from '@tensorflow/tfjs';
import type { Augmentation } from '../../core/contracts/augmentation';
import { withDefaults } from '../../core/plugins/options';
import { definePlugin } from '../../core/plugins/define';
import type { JsonSchema } from '../../core/spec/json-schema';

type Triple = [number, number, number];

/** Channel statistics of the usual pretraining recipes (torchvision ImageNet; OpenAI CLIP). */
export const NORMALIZE_PRESETS: Record<'imagenet' | 'clip', { mean: Triple; std: Triple }> = {
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  clip: { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] },
};

export interface NormalizeOptions {
  preset: keyof typeof NORMALIZE_PRESETS;
  mean?: Triple;
  std?: Triple;
}

const triple = (description: string, extra: JsonSchema = {}): JsonSchema => ({
  type: 'array',
  items: { type: 'number', ...extra },
  minItems: 3,
  maxItems: 3,
  description,
});

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    preset: {
      enum: Object.keys(NORMALIZE_PRESETS),
      default: 'imagenet',
      description: 'Channel mean/std to use: imagenet (SLIP, MoCo v3) or clip (OpenAI CLIP).',
    },
    mean: triple('Per-channel mean (RGB), overriding the preset.'),
    std: triple('Per-channel standard deviation (RGB), overriding the preset.', { exclusiveMinimum: 0 }),
  },
};

/** (x - mean) / std per channel. Deterministic, so evaluation keeps it (appliesAtEval). */
export class Normalize implements Augmentation {
  readonly appliesAtEval = true;
  readonly mean: Triple;
  readonly std: Triple;

  constructor(options: Partial<NormalizeOptions> = {}) {
    const o = withDefaults<NormalizeOptions>(schema, options);
    const preset = NORMALIZE_PRESETS[o.preset];
    this.mean = o.mean ?? preset.mean;
    this.std = o.std ?? preset.std;
    if (this.std.some((s) => !(s > 0))) throw new RangeError(`normalize std must be > 0, got ${JSON.stringify(this.std)}`);
  }

  apply(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => images.sub(tf.tensor1d(this.mean)).div(tf.tensor1d(this.std)) as tf.Tensor4D);
  }

  /** x * std + mean: back to [0, 1] pixels for display (the preview command). */
  invert(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => images.mul(tf.tensor1d(this.std)).add(tf.tensor1d(this.mean)) as tf.Tensor4D);
  }
}

export default definePlugin<'augmentation', Partial<NormalizeOptions>>({
  kind: 'augmentation',
  name: 'normalize',
  description: 'Subtract the channel mean and divide by the std (ImageNet or CLIP presets); kept at evaluation.',
  schema,
  create: (options) => new Normalize(options),
});

import * as tf from '@tensorflow/tfjs';
import type { Augmentation } from '../../core/contracts/augmentation';
import { selectTransformed } from '../../core/data/image-ops';
import { withDefaults } from '../../core/plugins/options';
import { drawFlags } from '../../core/data/random-params';
import { definePlugin } from '../../core/plugins/define';
import type { Rng } from '../../core/random';
import type { JsonSchema } from '../../core/spec/json-schema';

export interface SolarizeOptions {
  p: number;
  threshold: number;
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    p: { type: 'number', minimum: 0, maximum: 1, default: 0.5, description: 'Probability of solarizing each image.' },
    threshold: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description: 'Values at or above this are inverted (1 - x); 0.5 is 128/255-ish, as in BYOL and MoCo v3.',
    },
  },
};

/** With probability p, inverts every value >= threshold (torchvision RandomSolarize). */
export class Solarize implements Augmentation {
  private readonly options: SolarizeOptions;

  constructor(options: Partial<SolarizeOptions> = {}) {
    this.options = withDefaults(schema, options);
  }

  apply(images: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    const flags = drawFlags(rng, images.shape[0], this.options.p);
    const { threshold } = this.options;
    return tf.tidy(() =>
      selectTransformed(images, flags, (x) => tf.where(x.greaterEqual(threshold), tf.scalar(1).sub(x), x) as tf.Tensor4D),
    );
  }
}

export default definePlugin<'augmentation', Partial<SolarizeOptions>>({
  kind: 'augmentation',
  name: 'solarize',
  description: 'Invert values above a threshold with probability p.',
  schema,
  create: (options) => new Solarize(options),
});

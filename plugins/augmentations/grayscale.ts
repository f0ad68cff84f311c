import * as tf from '@tensorflow/tfjs';
import type { Augmentation } from '../../core/contracts/augmentation';
import { grayscale, selectTransformed } from '../../core/data/image-ops';
import { withDefaults } from '../../core/plugins/options';
import { drawFlags } from '../../core/data/random-params';
import { definePlugin } from '../../core/plugins/define';
import type { Rng } from '../../core/random';
import type { JsonSchema } from '../../core/spec/json-schema';

export interface GrayscaleOptions {
  p: number;
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    p: { type: 'number', minimum: 0, maximum: 1, default: 0.1, description: 'Probability of turning each image grey.' },
  },
};

/**
 * With probability p, replaces each image by its luma (0.2989 R + 0.587 G + 0.114 B)
 * replicated over three channels (torchvision RandomGrayscale).
 */
export class Grayscale implements Augmentation {
  private readonly options: GrayscaleOptions;

  constructor(options: Partial<GrayscaleOptions> = {}) {
    this.options = withDefaults(schema, options);
  }

  apply(images: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    const flags = drawFlags(rng, images.shape[0], this.options.p);
    return tf.tidy(() => selectTransformed(images, flags, grayscale));
  }
}

export default definePlugin<'augmentation', Partial<GrayscaleOptions>>({
  kind: 'augmentation',
  name: 'grayscale',
  description: 'Turn images grey (luma replicated over RGB) with probability p.',
  schema,
  create: (options) => new Grayscale(options),
});

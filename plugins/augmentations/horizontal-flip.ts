import * as tf from '@tensorflow/tfjs';
import type { Augmentation } from '../../core/contracts/augmentation';
import { selectTransformed } from '../../core/data/image-ops';
import { withDefaults } from '../../core/plugins/options';
import { drawFlags } from '../../core/data/random-params';
import { definePlugin } from '../../core/plugins/define';
import type { Rng } from '../../core/random';
import type { JsonSchema } from '../../core/spec/json-schema';

export interface HorizontalFlipOptions {
  p: number;
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    p: { type: 'number', minimum: 0, maximum: 1, default: 0.5, description: 'Probability of mirroring each image left-right.' },
  },
};

/** Mirrors each image left-right with probability p (torchvision RandomHorizontalFlip). */
export class HorizontalFlip implements Augmentation {
  private readonly options: HorizontalFlipOptions;

  constructor(options: Partial<HorizontalFlipOptions> = {}) {
    this.options = withDefaults(schema, options);
  }

  apply(images: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    const flags = drawFlags(rng, images.shape[0], this.options.p);
    const width = images.shape[2];
    // A gather with reversed column indices: the same as tf.reverse, and several times faster on the cpu backend.
    const reversed = Int32Array.from({ length: width }, (_, i) => width - 1 - i);
    return tf.tidy(() => selectTransformed(images, flags, (x) => tf.gather(x, tf.tensor1d(reversed, 'int32'), 2) as tf.Tensor4D));
  }
}

export default definePlugin<'augmentation', Partial<HorizontalFlipOptions>>({
  kind: 'augmentation',
  name: 'horizontal-flip',
  description: 'Mirror images left-right with probability p.',
  schema,
  create: (options) => new HorizontalFlip(options),
});

import type * as tf from '@tensorflow/tfjs';
import { type Augmentation, definePlugin, type JsonSchema, SpecError, withDefaults } from '../../core/toolkit';

export interface PatchMaskOptions {
  ratio: number;
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ratio: {
      type: 'number',
      minimum: 0,
      exclusiveMaximum: 1,
      default: 0.5,
      description: 'Fraction of the patch tokens the image encoder drops for this view, a different random set per image (FLIP: 0.5 or 0.75; MAE: 0.75).',
    },
  },
};

/**
 * FLIP / MAE patch masking as a step of a view (Li et al. 2023, "Scaling Language-Image
 * Pre-training via Masking"): the pixels pass unchanged; the view asks the image encoder to
 * drop `ratio` of its patch tokens before the transformer blocks (MAE's random_masking, one
 * seeded shuffle per image, see core/nn/patch-mask.ts), so CLIP or SLIP trains on the rest.
 * Evaluation never masks (this step is not `appliesAtEval`). The encoder must support it (the ViT).
 */
export class PatchMaskStep implements Augmentation {
  readonly patchMaskRatio: number;

  constructor(options: Partial<PatchMaskOptions> = {}, path = 'views') {
    const { ratio }: PatchMaskOptions = withDefaults(schema, options);
    if (!(ratio >= 0 && ratio < 1)) throw SpecError.at(`${path}.ratio`, `must be in [0, 1) (got ${ratio})`);
    this.patchMaskRatio = ratio;
  }

  apply(images: tf.Tensor4D): tf.Tensor4D {
    return images;
  }
}

export default definePlugin<'augmentation', PatchMaskOptions>({
  kind: 'augmentation',
  name: 'patch-mask',
  description: 'FLIP/MAE masking: the image encoder drops this fraction of the view’s patch tokens (pixels unchanged).',
  schema,
  create: (options, ctx) => new PatchMaskStep(options, ctx.path),
});

import * as tf from '@tensorflow/tfjs';
import {
  definePlugin,
  IMAGE_ENCODER,
  type NamedVariable,
  type Objective,
  type ObjectiveInputs,
  type ObjectiveOutput,
  ParamSeeds,
  type PluginContext,
  SpecError,
  TrainingError,
} from '../../core/toolkit';
import { maeLoss, patchPixels } from './losses/mae';
import { MaeDecoder, type MaeDecoderOptions } from './common/mae-decoder';
import { resolveFeatureDim } from './common/feature-dim';
import { requirePositive, requirePositiveInteger, requireViews } from './common/options';
import { tidyOutput } from './common/output';
import { inputDimSchema, viewsSchema } from './common/schema';

export interface MaeOptions {
  views: string[];
  decoder: MaeDecoderOptions;
  normPixLoss: boolean;
  channels: number;
  patchSize?: number;
  inputDim?: number;
}

/** The patch side: the image encoder's (it must cut patches), or the option when built alone. */
function resolvePatchSize(ctx: PluginContext, option: number | undefined): number {
  const encoder = ctx.container.isRegistered(IMAGE_ENCODER, true) ? ctx.container.resolve(IMAGE_ENCODER) : undefined;
  const size = encoder ? encoder.patchSize : option;
  if (size === undefined) throw SpecError.at(encoder ? 'model.image' : `${ctx.path}.patchSize`, encoder ? 'mae needs a patch-based image encoder (vit)' : 'is needed when mae is built without an image encoder');
  return size;
}

/**
 * MAE (He et al. 2022, facebookresearch/mae): the image encoder sees a masked view (its view
 * needs a `patch-mask` step, MAE: ratio 0.75) and returns the tokens of the kept patches; this
 * objective's light decoder (MaeDecoder) predicts the pixels of every patch, and the loss is
 * maeLoss on the removed patches only, per-patch normalised targets with `normPixLoss` (as MAE's
 * pretraining recipes). The target is the view's own pixels as augmented and normalised.
 */
export class MaeObjective implements Objective {
  readonly views: readonly string[];
  readonly usesText = false;
  readonly decoder: MaeDecoder;
  readonly patchSize: number;
  readonly normPixLoss: boolean;

  constructor(o: MaeOptions, ctx: PluginContext) {
    const p = ctx.path;
    requireViews(`${p}.views`, o.views, 1);
    for (const key of ['width', 'depth', 'heads'] as const) requirePositiveInteger(`${p}.decoder.${key}`, o.decoder[key]);
    requirePositive(`${p}.decoder.mlpRatio`, o.decoder.mlpRatio);
    if (o.decoder.width % o.decoder.heads !== 0) throw SpecError.at(`${p}.decoder.heads`, `must divide the decoder width ${o.decoder.width} (got ${o.decoder.heads})`);
    if (o.decoder.width % 4 !== 0) throw SpecError.at(`${p}.decoder.width`, `must be a multiple of 4 for the sine-cosine position embedding (got ${o.decoder.width})`);
    this.views = [...o.views];
    this.patchSize = resolvePatchSize(ctx, o.patchSize);
    this.normPixLoss = o.normPixLoss;
    this.decoder = new MaeDecoder(resolveFeatureDim(ctx, o.inputDim), o.decoder, this.patchSize * this.patchSize * o.channels, new ParamSeeds(ctx.seed, ctx.path));
  }

  variables(): NamedVariable[] {
    return this.decoder.variables();
  }

  compute(inputs: ObjectiveInputs): ObjectiveOutput {
    const { tokens, keptPatches } = inputs.tokens(0);
    const images = inputs.images(0);
    if (!keptPatches) throw new TrainingError(`mae reads view "${this.views[0]}", which masks no patches: add a { "type": "patch-mask", "ratio": 0.75 } step to it`);
    const [batch, height, width] = images.shape;
    const grid: [number, number] = [height / this.patchSize, width / this.patchSize];
    const patches = grid[0] * grid[1];
    const removed = new Float32Array(batch * patches).fill(1);
    const kept = keptPatches.length / batch;
    for (let i = 0; i < keptPatches.length; i++) removed[Math.floor(i / kept) * patches + keptPatches[i]] = 0;
    return tidyOutput(() => {
      const pred = this.decoder.apply(tokens, keptPatches, grid);
      const loss = maeLoss(pred, patchPixels(images, this.patchSize), tf.tensor2d(removed, [batch, patches]), this.normPixLoss);
      return { loss, metrics: {} };
    });
  }
}

export default definePlugin<'objective', MaeOptions>({
  kind: 'objective',
  name: 'mae',
  description: 'MAE: a light decoder reconstructs the pixels of the patches the encoder did not see (its view needs a patch-mask step).',
  schema: {
    type: 'object',
    properties: {
      views: viewsSchema(['mae'], 'the masked view (it needs a patch-mask step; MAE: ratio 0.75)'),
      decoder: {
        type: 'object',
        description: 'The light decoder (MAE ViT-B: width 512, depth 8, heads 16, mlpRatio 4).',
        properties: {
          width: { type: 'integer', minimum: 4, default: 512, description: 'Decoder token width (a multiple of 4).' },
          depth: { type: 'integer', minimum: 1, default: 8, description: 'Decoder transformer blocks.' },
          heads: { type: 'integer', minimum: 1, default: 16, description: 'Attention heads; must divide width.' },
          mlpRatio: { type: 'number', exclusiveMinimum: 0, default: 4, description: 'MLP hidden width as a multiple of width.' },
        },
        additionalProperties: false,
        default: {},
      },
      normPixLoss: { type: 'boolean', default: true, description: 'Normalise each target patch by its mean and variance (MAE pretraining: true).' },
      channels: { type: 'integer', minimum: 1, default: 3, description: 'Image channels (the decoder predicts patchSize² × channels values per patch).' },
      patchSize: { type: 'integer', minimum: 1, description: "Patch side; taken from the image encoder in experiments. Needed only when built without one." },
      inputDim: inputDimSchema,
    },
    additionalProperties: false,
  },
  create: (options, ctx) => new MaeObjective(options, ctx),
});

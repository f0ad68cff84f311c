import * as tf from '@tensorflow/tfjs';
import {
  constantVariable,
  definePlugin,
  type NamedVariable,
  type Objective,
  type ObjectiveInputs,
  type ObjectiveOutput,
  type PluginContext,
  SpecError,
} from '../../core/toolkit';
import { clipLoss } from './losses/clip';
import { diagonalTop1Percent } from './losses/diagonal';
import { requirePositive, requireViews } from './common/options';
import { tidyOutput } from './common/output';
import { viewsSchema } from './common/schema';

export interface ClipOptions {
  views: string[];
  /** τ at initialisation: the logit scale starts at ln(1/τ). */
  initTemperature: number;
  /** Upper bound of exp(logit_scale), enforced after every step. */
  maxLogitScale: number;
  /** Whether the logit scale is trained; if not it stays at ln(1/initTemperature). */
  learnable: boolean;
}

/**
 * CLIP's symmetric InfoNCE between the images (view 0, through the model's image
 * projection) and their captions, with CLIP's learnable logit scale. The scale is kept as
 * its logarithm, `logit_scale` (the name CLIP and SLIP checkpoints use), initialised to
 * ln(1/0.07) and clamped to [0, ln(100)] after every optimiser step, as SLIP does.
 *
 * Metrics: `clip_acc`, image→text top-1 accuracy within the batch in percent (as SLIP logs
 * it); `logit_scale`, the multiplier exp(logit_scale) actually applied to the cosines.
 */
export class ClipObjective implements Objective {
  readonly views: readonly string[];
  readonly usesText = true;
  /** Contrastive over the batch: in a data-parallel run it sees every rank's embeddings. */
  readonly needsGlobalBatch = true;
  /** ln of the logit multiplier; undefined when not learnable. */
  readonly logitScale?: tf.Variable;
  private readonly initLogScale: number;
  private readonly maxLogScale: number;

  constructor(o: ClipOptions, ctx: Pick<PluginContext, 'path'>) {
    requireViews(`${ctx.path}.views`, o.views, 1);
    requirePositive(`${ctx.path}.initTemperature`, o.initTemperature);
    if (!(o.maxLogitScale >= 1)) throw SpecError.at(`${ctx.path}.maxLogitScale`, `must be >= 1 (got ${JSON.stringify(o.maxLogitScale)})`);
    if (1 / o.initTemperature > o.maxLogitScale) {
      throw SpecError.at(
        `${ctx.path}.initTemperature`,
        `1/initTemperature (${1 / o.initTemperature}) exceeds maxLogitScale (${o.maxLogitScale}); raise one or the other`,
      );
    }
    this.views = [...o.views];
    this.initLogScale = Math.log(1 / o.initTemperature);
    this.maxLogScale = Math.log(o.maxLogitScale);
    if (o.learnable) this.logitScale = constantVariable([], this.initLogScale);
  }

  variables(): NamedVariable[] {
    return this.logitScale ? [{ name: 'logit_scale', variable: this.logitScale, decay: false }] : [];
  }

  compute(inputs: ObjectiveInputs): ObjectiveOutput {
    const image = inputs.imageEmbedding(0);
    const text = inputs.textEmbedding();
    return tidyOutput(() => {
      const scale = (this.logitScale ? tf.exp(this.logitScale) : tf.scalar(Math.exp(this.initLogScale))) as tf.Scalar;
      const { loss, logits } = clipLoss(image, text, scale);
      return { loss, metrics: { clip_acc: diagonalTop1Percent(logits), logit_scale: scale } };
    });
  }

  /** Clamps the logit scale to [0, ln(maxLogitScale)] (SLIP: logit_scale.data.clamp_(0, 4.6052)). */
  afterStep(): void {
    const v = this.logitScale;
    if (v) tf.tidy(() => v.assign(tf.clipByValue(v, 0, this.maxLogScale)));
  }
}

export default definePlugin<'objective', ClipOptions>({
  kind: 'objective',
  name: 'clip',
  description: "CLIP's symmetric image-text InfoNCE with a learnable, clamped logit scale (SLIP's CLIPLoss).",
  schema: {
    type: 'object',
    properties: {
      views: viewsSchema(['clip'], 'the image view paired with the captions'),
      initTemperature: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.07,
        description: 'Softmax temperature at initialisation: the logit scale starts at ln(1/initTemperature).',
      },
      maxLogitScale: {
        type: 'number',
        minimum: 1,
        default: 100,
        description: 'Largest multiplier of the cosine similarities; the learnt scale is clamped to it after every step.',
      },
      learnable: { type: 'boolean', default: true, description: 'Train the logit scale (CLIP, SLIP) or keep it fixed.' },
    },
    additionalProperties: false,
  },
  create: (options, ctx) => new ClipObjective(options, ctx),
});

import {
  definePlugin,
  type Mlp,
  type NamedVariable,
  type Objective,
  type ObjectiveInputs,
  type ObjectiveOutput,
  type PluginContext,
} from '../../core/toolkit';
import { dclLoss, type DclWeighting } from './losses/dcl';
import { HeadBuilder, type HeadLayout } from './common/heads';
import { requireHead, requirePositive, requireViews, type HeadOptions } from './common/options';
import { tidyOutput } from './common/output';
import { headSchema, inputDimSchema, temperatureSchema, viewsSchema } from './common/schema';

export interface DclOptions {
  views: string[];
  temperature: number;
  head: HeadOptions;
  inputDim?: number;
}

/**
 * DCL (Yeh et al. 2022, "Decoupled Contrastive Learning"): SimCLR's setup (both views'
 * features through one projection head, Linear-BN-ReLU-Linear-BN) with the positive pair
 * removed from the InfoNCE denominator (see dclLoss). `dclw` (plugins/objectives/dclw.ts)
 * is the same objective with the von Mises-Fisher weighting of the positives.
 */
export class DclObjective implements Objective {
  readonly views: readonly string[];
  readonly usesText = false;
  /** Contrastive over the batch (the negatives of every sample): in a data-parallel run it sees every rank's features. */
  readonly needsGlobalBatch = true;
  readonly temperature: number;
  readonly head: Mlp;

  constructor(
    o: DclOptions,
    ctx: PluginContext,
    readonly weighting?: DclWeighting,
  ) {
    requireViews(`${ctx.path}.views`, o.views, 2);
    requirePositive(`${ctx.path}.temperature`, o.temperature);
    if (weighting) requirePositive(`${ctx.path}.sigma`, weighting.sigma);
    requireHead(`${ctx.path}.head`, o.head);
    this.views = [...o.views];
    this.temperature = o.temperature;
    this.head = new HeadBuilder(ctx, o.inputDim).head('projector', o.head, SIMCLR_HEAD_LAYOUT);
  }

  variables(): NamedVariable[] {
    return this.head.variables();
  }

  compute(inputs: ObjectiveInputs): ObjectiveOutput {
    const a = inputs.features(0);
    const b = inputs.features(1);
    return tidyOutput(() => ({ loss: dclLoss(this.head.apply(a), this.head.apply(b), this.temperature, this.weighting), metrics: {} }));
  }
}

/**
 * The projection head of SimCLR's official code (and of lightly's SimCLRProjectionHead):
 * BatchNorm after every Linear, the last one included, and so no Linear biases.
 */
const SIMCLR_HEAD_LAYOUT: HeadLayout = { hiddenBias: false, outputBias: false, outputNorm: 'batch-norm' };

/** Options of dcl and dclw alike, with the defaults of the DCL paper's SimCLR setting. */
export const dclProperties = {
  views: viewsSchema(['ssl', 'ssl'], 'the two augmented views'),
  temperature: temperatureSchema(0.1, 'Softmax temperature τ (DCL paper, ImageNet: 0.1).'),
  head: headSchema({ hidden: [2048], out: 128 }, "Projection head on the features, SimCLR's Linear-BN-ReLU-Linear-BN (DCL paper: hidden [2048], out 128)."),
  inputDim: inputDimSchema,
};

export default definePlugin<'objective', DclOptions>({
  kind: 'objective',
  name: 'dcl',
  description: 'DCL: decoupled contrastive loss (NT-Xent without the positive in the denominator) on two views through a projection head.',
  schema: { type: 'object', properties: dclProperties, additionalProperties: false },
  create: (options, ctx) => new DclObjective(options, ctx),
});

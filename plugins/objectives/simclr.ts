import {
  definePlugin,
  type Mlp,
  type NamedVariable,
  type Objective,
  type ObjectiveInputs,
  type ObjectiveOutput,
  type PluginContext,
} from '../../core/toolkit';
import { diagonalTop1Percent } from './losses/diagonal';
import { ntXentLoss } from './losses/nt-xent';
import { HeadBuilder } from './common/heads';
import { requireHead, requirePositive, requireViews, type HeadOptions } from './common/options';
import { tidyOutput } from './common/output';
import { headSchema, inputDimSchema, temperatureSchema, viewsSchema } from './common/schema';

export interface SimclrOptions {
  views: string[];
  temperature: number;
  head: HeadOptions;
  inputDim?: number;
}

/**
 * SimCLR as SLIP trains it: both views' pooled features go through one MLP head
 * (`image_mlp`: Linear-BN-ReLU-Linear-BN-ReLU-Linear, each view normalised with its own
 * batch statistics), then NT-Xent over the 2N embeddings (see ntXentLoss).
 * Metric `ssl_acc`: how often a view-0 sample ranks its view-1 partner first among the
 * 2N − 1 candidates, in percent.
 */
export class SimclrObjective implements Objective {
  readonly views: readonly string[];
  readonly usesText = false;
  /** Contrastive over the batch (NT-Xent negatives): in a data-parallel run it sees every rank's features. */
  readonly needsGlobalBatch = true;
  readonly temperature: number;
  readonly head: Mlp;

  constructor(o: SimclrOptions, ctx: PluginContext) {
    requireViews(`${ctx.path}.views`, o.views, 2);
    requirePositive(`${ctx.path}.temperature`, o.temperature);
    requireHead(`${ctx.path}.head`, o.head);
    this.views = [...o.views];
    this.temperature = o.temperature;
    this.head = new HeadBuilder(ctx, o.inputDim).head('image_mlp', o.head);
  }

  variables(): NamedVariable[] {
    return this.head.variables();
  }

  compute(inputs: ObjectiveInputs): ObjectiveOutput {
    const a = inputs.features(0);
    const b = inputs.features(1);
    return tidyOutput(() => {
      const { loss, logits } = ntXentLoss(this.head.apply(a), this.head.apply(b), this.temperature);
      return { loss, metrics: { ssl_acc: diagonalTop1Percent(logits) } };
    });
  }
}

export default definePlugin<'objective', SimclrOptions>({
  kind: 'objective',
  name: 'simclr',
  description: "SimCLR's NT-Xent between two augmented views through an MLP head, as in SLIP.",
  schema: {
    type: 'object',
    properties: {
      views: viewsSchema(['ssl', 'ssl'], 'the two augmented views'),
      temperature: temperatureSchema(0.1, 'Softmax temperature τ of NT-Xent (SLIP: 0.1).'),
      head: headSchema({ hidden: [4096, 4096], out: 256 }, "The projection head `image_mlp` (SLIP: hidden [4096, 4096], out 256)."),
      inputDim: inputDimSchema,
    },
    additionalProperties: false,
  },
  create: (options, ctx) => new SimclrObjective(options, ctx),
});

import type * as tf from '@tensorflow/tfjs';
import { definePlugin, type ObjectiveOutput, type PluginContext } from '../../core/toolkit';
import { barlowTwinsLoss } from './losses/barlow-twins';
import { HeadBuilder } from './common/heads';
import { requireHead, requireNonNegative, requireViews, type HeadOptions } from './common/options';
import { ProjectedViewsObjective } from './common/projected-views';
import { headSchema, inputDimSchema, viewsSchema } from './common/schema';

export interface BarlowTwinsOptions {
  views: string[];
  /** Weight λ of the off-diagonal (redundancy reduction) term. */
  lambda: number;
  projector: HeadOptions;
  inputDim?: number;
}

/**
 * Barlow Twins (Zbontar et al., 2021; facebookresearch/barlowtwins): z_i = projector(f_i),
 * C = BN(z_1)ᵀ·BN(z_2)/N with a BatchNorm without γ/β, loss = Σ(1 − Cᵢᵢ)² + λ·Σ_{i≠j} Cᵢⱼ².
 * Projector: Linears without bias, BN + ReLU after the hidden ones.
 * Metrics `on_diag` and `off_diag` (before λ), the two terms of the loss.
 */
export class BarlowTwinsObjective extends ProjectedViewsObjective {
  readonly lambda: number;
  /** Its cross-correlation and normalisation are batch-wide: in a data-parallel run it sees the global batch. */
  readonly needsGlobalBatch = true;

  constructor(o: BarlowTwinsOptions, ctx: PluginContext) {
    requireViews(`${ctx.path}.views`, o.views, 2);
    requireNonNegative(`${ctx.path}.lambda`, o.lambda);
    requireHead(`${ctx.path}.projector`, o.projector);
    super(o.views, new HeadBuilder(ctx, o.inputDim).head('projector', o.projector, { hiddenBias: false, outputBias: false }));
    this.lambda = o.lambda;
  }

  protected loss(z1: tf.Tensor2D, z2: tf.Tensor2D): ObjectiveOutput {
    const r = barlowTwinsLoss(z1, z2, this.lambda);
    return { loss: r.loss, metrics: { on_diag: r.onDiagonal, off_diag: r.offDiagonal } };
  }
}

export default definePlugin<'objective', BarlowTwinsOptions>({
  kind: 'objective',
  name: 'barlow-twins',
  description: 'Barlow Twins: drives the cross-correlation of two views’ standardised projections to the identity.',
  schema: {
    type: 'object',
    properties: {
      views: viewsSchema(['ssl', 'ssl'], 'the two augmented views'),
      lambda: {
        type: 'number',
        minimum: 0,
        default: 0.0051,
        description: 'Weight λ of the off-diagonal (redundancy reduction) term (paper: 0.0051).',
      },
      projector: headSchema({ hidden: [8192, 8192], out: 8192 }, 'Projector (paper: hidden [8192, 8192], out 8192).'),
      inputDim: inputDimSchema,
    },
    additionalProperties: false,
  },
  create: (options, ctx) => new BarlowTwinsObjective(options, ctx),
});

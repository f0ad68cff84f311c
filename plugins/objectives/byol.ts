import * as tf from '@tensorflow/tfjs';
import { definePlugin, type ObjectiveOutput, type PluginContext } from '../../core/toolkit';
import { normalizedMse } from './losses/normalized-mse';
import { normalizedOutputStd } from './losses/output-std';
import { MomentumTargetObjective, type MomentumTargetBranches, type MomentumTargetOptions } from './common/momentum-target';
import { requireViews } from './common/options';
import { headSchema, inputDimSchema, momentumSchema, predictorSchema, viewsSchema } from './common/schema';

export type ByolOptions = MomentumTargetOptions;

/**
 * BYOL's heads (4096 → 256 projector and predictor). The momentum starts at 0.99 rather than
 * the paper's τ_base = 0.996: that value is tuned for 1000 ImageNet epochs, and slipkit's
 * runs are far shorter, where a target that follows the online network faster learns sooner.
 */
/**
 * BYOL (Grill et al., 2020): p_i = predictor(projector(f_i)) on the online branch,
 * z'_i = targetProjector(momentumFeatures_i) on the EMA target branch (no gradient), and
 *   loss = ℓ(p_1, z'_2) + ℓ(p_2, z'_1),  ℓ(p, z) = mean over the batch of 2 − 2·cos(p, z)
 * (the paper's symmetrised L + L̃, a sum). Heads: Linear-BN-ReLU-Linear with biases.
 * Metric `output_std`: std of the L2-normalised online projection (≈ 1/√out when healthy, 0 when collapsed).
 */
export class ByolObjective extends MomentumTargetObjective {
  constructor(o: ByolOptions, ctx: PluginContext) {
    requireViews(`${ctx.path}.views`, o.views, 2);
    super(o, ctx, { projector: {}, predictor: {} });
  }

  protected loss({ projections: [z1], predictions: [p1, p2], targets: [t1, t2] }: MomentumTargetBranches): ObjectiveOutput {
    const loss = tf.add(normalizedMse(p1, t2), normalizedMse(p2, t1)) as tf.Scalar;
    return { loss, metrics: { output_std: normalizedOutputStd(z1) } };
  }
}

export default definePlugin<'objective', ByolOptions>({
  kind: 'objective',
  name: 'byol',
  description: 'BYOL: online projector + predictor regress an EMA target projection (normalised MSE, symmetric).',
  schema: {
    type: 'object',
    properties: {
      views: viewsSchema(['ssl', 'ssl'], 'the two augmented views'),
      projector: headSchema({ hidden: [4096], out: 256 }, 'Projector, online and EMA target (BYOL: hidden [4096], out 256).'),
      predictor: predictorSchema({ hidden: [4096] }, 'Predictor on the online branch (BYOL: hidden [4096]).'),
      momentum: momentumSchema({ start: 0.99, end: 1 }),
      inputDim: inputDimSchema,
    },
    additionalProperties: false,
  },
  create: (options, ctx) => new ByolObjective(options, ctx),
});

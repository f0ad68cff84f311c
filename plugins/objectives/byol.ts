import * as tf from '@tensorflow/tfjs';
import type { MomentumPair, MomentumSchedule, Objective, ObjectiveInputs, ObjectiveOutput } from '../../core/contracts/objective';
import type { NamedVariable } from '../../core/contracts/trainable';
import { Mlp } from '../../core/nn/mlp';
import { normalizedMse, normalizedOutputStd } from '../../core/nn/non-contrastive';
import { ParamSeeds } from '../../core/nn/param-seeds';
import { stopGradient } from '../../core/nn/stop-gradient';
import { definePlugin, type PluginContext } from '../../core/plugins/define';
import { resolveFeatureDim } from './common/feature-dim';
import { momentumPairs } from './common/momentum';
import {
  requireHead,
  requireMomentum,
  requireViews,
  requireWidths,
  withDefaults,
  type HeadOptions,
  type MomentumOptions,
  type OptionsInput,
  type PredictorOptions,
} from './common/options';
import { tidyOutput } from './common/output';
import { headSchema, inputDimSchema, momentumSchema, predictorSchema, viewsSchema } from './common/schema';

export interface ByolOptions {
  views: string[];
  projector: HeadOptions;
  predictor: PredictorOptions;
  momentum: MomentumOptions;
  inputDim?: number;
}

/**
 * BYOL's heads (4096 → 256 projector and predictor). The momentum starts at 0.99 rather than
 * the paper's τ_base = 0.996: that value is tuned for 1000 ImageNet epochs, and slipkit's
 * runs are far shorter, where a target that follows the online network faster learns sooner.
 */
export const BYOL_DEFAULTS: ByolOptions = {
  views: ['ssl', 'ssl'],
  projector: { hidden: [4096], out: 256 },
  predictor: { hidden: [4096] },
  momentum: { start: 0.99, end: 1 },
};

/**
 * BYOL (Grill et al., 2020): p_i = predictor(projector(f_i)) on the online branch,
 * z'_i = targetProjector(momentumFeatures_i) on the EMA target branch (no gradient), and
 *   loss = ℓ(p_1, z'_2) + ℓ(p_2, z'_1),  ℓ(p, z) = mean over the batch of 2 − 2·cos(p, z)
 * (the paper's symmetrised L + L̃, a sum). Heads: Linear-BN-ReLU-Linear with biases.
 * Metric `output_std`: std of the L2-normalised online projection (≈ 1/√out when healthy, 0 when collapsed).
 */
export class ByolObjective implements Objective {
  readonly views: readonly string[];
  readonly usesText = false;
  readonly momentum: MomentumSchedule;
  readonly projector: Mlp;
  readonly predictor: Mlp;
  readonly targetProjector: Mlp;

  constructor(options: OptionsInput<ByolOptions>, ctx: PluginContext) {
    const o = withDefaults(BYOL_DEFAULTS, options);
    requireViews(`${ctx.path}.views`, o.views, 2);
    requireHead(`${ctx.path}.projector`, o.projector);
    requireWidths(`${ctx.path}.predictor.hidden`, o.predictor.hidden);
    requireMomentum(`${ctx.path}.momentum`, o.momentum);
    this.views = [...o.views];
    this.momentum = { ...o.momentum };
    const seeds = new ParamSeeds(ctx.seed, ctx.path);
    const inputDim = resolveFeatureDim(ctx, o.inputDim);
    const dim = o.projector.out;
    this.projector = Mlp.create('projector', { inputDim, hidden: o.projector.hidden, outputDim: dim }, seeds);
    this.predictor = Mlp.create('predictor', { inputDim: dim, hidden: o.predictor.hidden, outputDim: dim }, seeds);
    this.targetProjector = this.projector.frozenCopy();
  }

  /** Online projector and predictor; the target projector is not trained (see momentumPairs). */
  variables(): NamedVariable[] {
    return [...this.projector.variables(), ...this.predictor.variables()];
  }

  momentumPairs(): MomentumPair[] {
    return momentumPairs(this.projector, this.targetProjector);
  }

  compute(inputs: ObjectiveInputs): ObjectiveOutput {
    const [f1, f2] = [inputs.features(0), inputs.features(1)];
    const [m1, m2] = [inputs.momentumFeatures(0), inputs.momentumFeatures(1)];
    return tidyOutput(() => {
      const z1 = this.projector.apply(f1);
      const p1 = this.predictor.apply(z1);
      const p2 = this.predictor.apply(this.projector.apply(f2));
      const t1 = stopGradient(this.targetProjector.apply(m1));
      const t2 = stopGradient(this.targetProjector.apply(m2));
      const loss = tf.add(normalizedMse(p1, t2), normalizedMse(p2, t1)) as tf.Scalar;
      return { loss, metrics: { output_std: normalizedOutputStd(z1) } };
    });
  }
}

export default definePlugin<'objective', OptionsInput<ByolOptions>>({
  kind: 'objective',
  name: 'byol',
  description: 'BYOL: online projector + predictor regress an EMA target projection (normalised MSE, symmetric).',
  schema: {
    type: 'object',
    properties: {
      views: viewsSchema(BYOL_DEFAULTS.views, 'the two augmented views'),
      projector: headSchema(BYOL_DEFAULTS.projector, 'Projector, online and EMA target (BYOL: hidden [4096], out 256).'),
      predictor: predictorSchema(BYOL_DEFAULTS.predictor, 'Predictor on the online branch (BYOL: hidden [4096]).'),
      momentum: momentumSchema(BYOL_DEFAULTS.momentum),
      inputDim: inputDimSchema,
    },
    additionalProperties: false,
  },
  create: (options, ctx) => new ByolObjective(options, ctx),
});

import * as tf from '@tensorflow/tfjs';
import {
  definePlugin,
  type Mlp,
  type NamedVariable,
  type Objective,
  type ObjectiveInputs,
  type ObjectiveOutput,
  type PluginContext,
  stopGradient,
} from '../../core/toolkit';
import { negativeCosine } from './losses/negative-cosine';
import { normalizedOutputStd } from './losses/output-std';
import { HeadBuilder } from './common/heads';
import {
  requireHead,
  requireViews,
  requireWidths,
  type HeadOptions,
  type PredictorOptions,
} from './common/options';
import { tidyOutput } from './common/output';
import { headSchema, inputDimSchema, predictorSchema, viewsSchema } from './common/schema';

export interface SimsiamOptions {
  views: string[];
  projector: HeadOptions;
  predictor: PredictorOptions;
  inputDim?: number;
}

/**
 * SimSiam (Chen & He, 2021; facebookresearch/simsiam): z_i = projector(f_i),
 * p_i = predictor(z_i), loss = D(p_1, sg(z_2))/2 + D(p_2, sg(z_1))/2 with D = −cos and sg
 * the stop-gradient that keeps the method from collapsing. Projector: Linears without bias,
 * BN + ReLU after the hidden ones, BN without γ/β at the end (the official code keeps a
 * frozen bias on that last Linear; a BatchNorm cancels it, so it is left out). Predictor:
 * Linear (no bias) - BN - ReLU - Linear (bias).
 * Metric `output_std`: std of the L2-normalised z_1 (≈ 1/√out when healthy, 0 when collapsed).
 */
export class SimsiamObjective implements Objective {
  readonly views: readonly string[];
  readonly usesText = false;
  readonly projector: Mlp;
  readonly predictor: Mlp;

  constructor(o: SimsiamOptions, ctx: PluginContext) {
    requireViews(`${ctx.path}.views`, o.views, 2);
    requireHead(`${ctx.path}.projector`, o.projector);
    requireWidths(`${ctx.path}.predictor.hidden`, o.predictor.hidden);
    this.views = [...o.views];
    const heads = new HeadBuilder(ctx, o.inputDim).projectorAndPredictor(o, {
      projector: { hiddenBias: false, outputBias: false, outputNorm: 'batch-norm-no-affine' },
      predictor: { hiddenBias: false },
    });
    this.projector = heads.projector;
    this.predictor = heads.predictor;
  }

  variables(): NamedVariable[] {
    return [...this.projector.variables(), ...this.predictor.variables()];
  }

  compute(inputs: ObjectiveInputs): ObjectiveOutput {
    const [f1, f2] = [inputs.features(0), inputs.features(1)];
    return tidyOutput(() => {
      const z1 = this.projector.apply(f1);
      const z2 = this.projector.apply(f2);
      const p1 = this.predictor.apply(z1);
      const p2 = this.predictor.apply(z2);
      const loss = tf.div(tf.add(negativeCosine(p1, stopGradient(z2)), negativeCosine(p2, stopGradient(z1))), 2) as tf.Scalar;
      return { loss, metrics: { output_std: normalizedOutputStd(z1) } };
    });
  }
}

export default definePlugin<'objective', SimsiamOptions>({
  kind: 'objective',
  name: 'simsiam',
  description: 'SimSiam: projector + predictor, negative cosine against a stop-gradient target, symmetric.',
  schema: {
    type: 'object',
    properties: {
      views: viewsSchema(['ssl', 'ssl'], 'the two augmented views'),
      projector: headSchema({ hidden: [2048, 2048], out: 2048 }, 'Projector (SimSiam: hidden [2048, 2048], out 2048).'),
      predictor: predictorSchema({ hidden: [512] }, 'Bottleneck predictor (SimSiam: hidden [512]).'),
      inputDim: inputDimSchema,
    },
    additionalProperties: false,
  },
  create: (options, ctx) => new SimsiamObjective(options, ctx),
});

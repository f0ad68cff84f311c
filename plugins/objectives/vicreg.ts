import type * as tf from '@tensorflow/tfjs';
import { definePlugin, type ObjectiveOutput, type PluginContext } from '../../core/toolkit';
import { vicregLoss, type VicregCoefficients } from './losses/vicreg';
import { HeadBuilder } from './common/heads';
import { requireHead, requireNonNegative, requirePositive, requireViews, type HeadOptions } from './common/options';
import { ProjectedViewsObjective } from './common/projected-views';
import { headSchema, inputDimSchema, viewsSchema } from './common/schema';

export interface VicregOptions {
  views: string[];
  invarianceCoeff: number;
  varianceCoeff: number;
  covarianceCoeff: number;
  /** γ: the std every projected dimension is pushed up to. */
  stdTarget: number;
  /** Added to the variance before the square root in the std hinge. */
  varianceEps: number;
  projector: HeadOptions;
  inputDim?: number;
}

/**
 * VICReg (Bardes, Ponce & LeCun, 2022; facebookresearch/vicreg): on x = projector(f_1),
 * y = projector(f_2), loss = λ·MSE(x, y) + μ·[relu(γ − std x) + relu(γ − std y)]/2 (means
 * over dimensions) + ν·[Σ_{i≠j} Cov(x)ᵢⱼ² + Σ_{i≠j} Cov(y)ᵢⱼ²]/D, unbiased std and covariance.
 * Projector: Linear (bias) - BN - ReLU per hidden layer, last Linear without bias.
 * Metrics `invariance`, `variance`, `covariance`: the three terms before their coefficients.
 */
export class VicregObjective extends ProjectedViewsObjective {
  readonly coefficients: VicregCoefficients;
  /** Variance and covariance are batch-wide: in a data-parallel run it sees the global batch. */
  readonly needsGlobalBatch = true;

  constructor(o: VicregOptions, ctx: PluginContext) {
    requireViews(`${ctx.path}.views`, o.views, 2);
    for (const key of ['invarianceCoeff', 'varianceCoeff', 'covarianceCoeff', 'stdTarget'] as const) requireNonNegative(`${ctx.path}.${key}`, o[key]);
    requirePositive(`${ctx.path}.varianceEps`, o.varianceEps);
    requireHead(`${ctx.path}.projector`, o.projector);
    super(o.views, new HeadBuilder(ctx, o.inputDim).head('projector', o.projector, { outputBias: false }));
    this.coefficients = {
      invariance: o.invarianceCoeff,
      variance: o.varianceCoeff,
      covariance: o.covarianceCoeff,
      stdTarget: o.stdTarget,
      eps: o.varianceEps,
    };
  }

  protected loss(z1: tf.Tensor2D, z2: tf.Tensor2D): ObjectiveOutput {
    const r = vicregLoss(z1, z2, this.coefficients);
    return { loss: r.loss, metrics: { invariance: r.invariance, variance: r.variance, covariance: r.covariance } };
  }
}

const coefficient = (value: number, description: string) => ({ type: 'number', minimum: 0, default: value, description });

export default definePlugin<'objective', VicregOptions>({
  kind: 'objective',
  name: 'vicreg',
  description: 'VICReg: invariance, variance and covariance regularisation of two views’ projections.',
  schema: {
    type: 'object',
    properties: {
      views: viewsSchema(['ssl', 'ssl'], 'the two augmented views'),
      invarianceCoeff: coefficient(25, 'λ, weight of the invariance (MSE) term (paper: 25).'),
      varianceCoeff: coefficient(25, 'μ, weight of the variance (std hinge) term (paper: 25).'),
      covarianceCoeff: coefficient(1, 'ν, weight of the covariance term (paper: 1).'),
      stdTarget: coefficient(1, 'γ, the std each dimension is pushed up to (paper: 1).'),
      varianceEps: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.0001,
        description: 'Added to the variance before the square root in the std hinge (paper: 1e-4).',
      },
      projector: headSchema({ hidden: [8192, 8192], out: 8192 }, 'Projector (paper: hidden [8192, 8192], out 8192).'),
      inputDim: inputDimSchema,
    },
    additionalProperties: false,
  },
  create: (options, ctx) => new VicregObjective(options, ctx),
});

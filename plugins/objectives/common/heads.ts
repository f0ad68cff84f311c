import { Mlp, type MlpConfig, ParamSeeds, type PluginContext } from '../../../core/toolkit';
import { resolveFeatureDim } from './feature-dim';
import type { HeadOptions, PredictorOptions } from './options';

/** Which biases and which output normalisation a head has: these differ between methods (see MlpConfig). */
export type HeadLayout = Pick<MlpConfig, 'hiddenBias' | 'outputBias' | 'outputNorm'>;

/** The layouts of a projector and of the predictor on its output. */
export interface ProjectorPredictorLayout {
  projector: HeadLayout;
  predictor: HeadLayout;
}

/**
 * Builds an objective's MLP heads on the image features: every head reads the same feature
 * width (resolveFeatureDim) and draws its initial values from seeds scoped by the
 * objective's spec path, so two objectives of one experiment never share initial values.
 */
export class HeadBuilder {
  /** Width of the image features the first head reads. */
  readonly inputDim: number;
  private readonly seeds: ParamSeeds;

  constructor(ctx: PluginContext, inputDimOption: number | undefined) {
    this.seeds = new ParamSeeds(ctx.seed, ctx.path);
    this.inputDim = resolveFeatureDim(ctx, inputDimOption);
  }

  /** A head whose parameters are named `<name>.layerN…` (its checkpoint prefix), reading `inputDim` features. */
  head(name: string, widths: HeadOptions, layout: HeadLayout = {}, inputDim = this.inputDim): Mlp {
    return Mlp.create(name, { inputDim, hidden: widths.hidden, outputDim: widths.out, ...layout }, this.seeds);
  }

  /** A `projector` on the features and a `predictor` on its output, which keeps the projector's width. */
  projectorAndPredictor(
    widths: { projector: HeadOptions; predictor: PredictorOptions },
    layout: ProjectorPredictorLayout,
  ): { projector: Mlp; predictor: Mlp } {
    const dim = widths.projector.out;
    const projector = this.head('projector', widths.projector, layout.projector);
    const predictor = this.head('predictor', { hidden: widths.predictor.hidden, out: dim }, layout.predictor, dim);
    return { projector, predictor };
  }
}

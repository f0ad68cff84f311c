import { IMAGE_ENCODER, type PluginContext, SpecError } from '../../../core/toolkit';

/**
 * Width of the pooled image features an objective's heads read. In an experiment the engine
 * registers the built image encoder under IMAGE_ENCODER before it builds the objectives,
 * so the width is known at construction and every head exists before the first step (the
 * engine collects trainable variables once, up front). `inputDim` serves standalone use;
 * given both, they must agree.
 */
export function resolveFeatureDim(ctx: PluginContext, inputDim: number | undefined): number {
  const encoder = ctx.container.isRegistered(IMAGE_ENCODER, true) ? ctx.container.resolve(IMAGE_ENCODER) : undefined;
  if (encoder && inputDim !== undefined && inputDim !== encoder.featureDim) {
    throw SpecError.at(
      `${ctx.path}.inputDim`,
      `is ${inputDim} but the image encoder's features are ${encoder.featureDim} wide; leave inputDim out`,
    );
  }
  if (encoder) return encoder.featureDim;
  if (inputDim !== undefined) return inputDim;
  throw SpecError.at(ctx.path, 'cannot size the heads: no image encoder is registered (IMAGE_ENCODER) and inputDim is not set');
}

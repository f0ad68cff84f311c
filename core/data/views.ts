import * as tf from '@tensorflow/tfjs';
import type { Augmentation } from '../contracts/augmentation';
import type { PluginBlock } from '../plugins/define';
import type { PluginKinds } from '../plugins/kinds';
import type { Rng } from '../random';

/** A view: augmentations applied in order. */
export type ViewPipeline = Augmentation[];

/** The side of a view's images: the last explicit output size of its steps (a local crop's), else the model's. */
export function viewImageSize(pipeline: ViewPipeline, imageSize: number): number {
  return pipeline.reduce<number | undefined>((size, a) => a.outputSize ?? size, undefined) ?? imageSize;
}

/** The fraction of patch tokens the encoder drops for this view, when one of its steps asks for it. */
export function viewPatchMaskRatio(pipeline: ViewPipeline): number | undefined {
  return pipeline.reduce<number | undefined>((ratio, a) => a.patchMaskRatio ?? ratio, undefined);
}

/**
 * Applies a view to a batch inside tf.tidy. Never disposes `images`; the result is always
 * a new [B, S, S, 3] tensor, S = viewImageSize (bilinearly resized when the pipeline did not
 * produce that size, e.g. an evaluation view without a crop).
 */
export function applyView(images: tf.Tensor4D, pipeline: ViewPipeline, rng: Rng, imageSize: number): tf.Tensor4D {
  const size = viewImageSize(pipeline, imageSize);
  return tf.tidy(() => {
    let x = images;
    for (const augmentation of pipeline) x = augmentation.apply(x, rng);
    if (x.shape[1] !== size || x.shape[2] !== size) {
      x = tf.image.resizeBilinear(x, [size, size]);
    }
    return x === images ? x.clone() : x;
  });
}

/** The evaluation form of a view: only the deterministic steps marked `appliesAtEval` (e.g. normalize). */
export function evalPipeline(pipeline: ViewPipeline): ViewPipeline {
  return pipeline.filter((a) => a.appliesAtEval === true);
}

/** What building views needs from core/plugins/builder.ts's PluginBuilder. */
export interface AugmentationBuilder {
  build(kind: 'augmentation', block: PluginBlock, path: string): PluginKinds['augmentation'];
}

/** Builds every named view of a spec's `views` block, each step located as `views.<name>[i]` in errors. */
export function buildViews(views: Record<string, PluginBlock[]>, builder: AugmentationBuilder): Record<string, ViewPipeline> {
  const out: Record<string, ViewPipeline> = {};
  for (const [name, blocks] of Object.entries(views)) {
    out[name] = blocks.map((block, i) => builder.build('augmentation', block, `views.${name}[${i}]`));
  }
  return out;
}

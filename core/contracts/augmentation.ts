import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';

/**
 * augmentation kind: a batched view transform. Input and output are float32 NHWC;
 * before `normalize`, pixel values are in [0, 1]. Random parameters are drawn per sample
 * from `rng`, so the same seed gives the same views.
 */
export interface Augmentation {
  apply(images: tf.Tensor4D, rng: Rng): tf.Tensor4D;
  /**
   * True for deterministic transforms that evaluation must apply too (e.g. `normalize`):
   * the engine's evaluation view is the training view with only these kept.
   */
  readonly appliesAtEval?: boolean;
  /**
   * The side this step resizes to when it was set explicitly (random-resized-crop's `size`):
   * the view keeps that size instead of being resized to data.imageSize (multi-crop's local crops).
   */
  readonly outputSize?: number;
  /** Set by a step that asks the image encoder to drop this fraction of the view's patch tokens (FLIP, MAE). */
  readonly patchMaskRatio?: number;
}

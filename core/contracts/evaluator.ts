import type * as tf from '@tensorflow/tfjs';

/**
 * What an evaluator may use of a trained model. Images passed in are float32 [0,1] NHWC
 * at the model's image size; `preprocess` applies the evaluation view (normalisation).
 */
export interface EvalModel {
  readonly imageSize: number;
  readonly hasText: boolean;
  /** Frozen image features (encoder output, before any projection) [B, D]. */
  imageFeatures(images: tf.Tensor4D): tf.Tensor2D;
  /** Images in the joint space [B, E]; only when the model has a text tower. */
  imageEmbedding(images: tf.Tensor4D): tf.Tensor2D;
  /** Texts in the joint space [N, E]. */
  textEmbedding(texts: readonly string[]): tf.Tensor2D;
  /** The image encoder itself, for evaluators that train it (finetune). */
  readonly trainableImageEncoder: import('./encoders').ImageEncoder;
}

export interface EvalContext {
  step: number;
  seed: number;
  log: import('../logger').Logger;
  /** The experiment's data.maxFailureFraction: evaluation data obeys the same bad-sample rule as training data. Default 0.01. */
  maxFailureFraction?: number;
}

/** evaluator kind: trained model (+ its own dataset) to named metrics. */
export interface Evaluator {
  evaluate(model: EvalModel, ctx: EvalContext): Promise<Record<string, number>>;
}

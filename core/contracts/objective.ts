import type * as tf from '@tensorflow/tfjs';
import type { NamedVariable, Trainable } from './trainable';

/**
 * What an objective can read for the current batch. Index `i` refers to the i-th entry of
 * the objective's `views` list: ["ssl", "ssl"] names two independent draws of view "ssl".
 * Every accessor is memoised by the engine, so two objectives that read the same view
 * share one encoder pass.
 */
export interface ObjectiveInputs {
  /** Pooled features of view i from the online image encoder [B, D]. */
  features(i: number): tf.Tensor2D;
  /** Pooled features of view i from this objective's momentum (EMA) encoder; no gradient. */
  momentumFeatures(i: number): tf.Tensor2D;
  /** View i in the joint image-text space (the model's image projection) [B, E]. */
  imageEmbedding(i: number): tf.Tensor2D;
  /** Captions in the joint space (text encoder + text projection) [B, E]. */
  textEmbedding(): tf.Tensor2D;
  /**
   * The online encoder's final-normed tokens of view i [B, 1 + patches, width] (class token
   * first), and, when the view masks patches, the patch indices each image kept (the tokens
   * are then the class token and those). For MAE-style objectives; not available under GradCache.
   */
  tokens(i: number): ViewTokens;
  /** The augmented, normalised pixels of view i [B, S, S, C] (a reconstruction target), a constant. */
  images(i: number): tf.Tensor4D;
  /** Global optimiser step (0-based) and the run's total steps. */
  readonly step: number;
  readonly totalSteps: number;
}

/** An encoder's token sequence for one view (see ObjectiveInputs.tokens). */
export interface ViewTokens {
  tokens: tf.Tensor3D;
  /** [B, kept] row-major patch indices when the view is masked. */
  keptPatches?: Int32Array;
}

export interface ObjectiveOutput {
  loss: tf.Scalar;
  /** Extra figures reported under the objective's name, e.g. `clip_acc`. */
  metrics: Record<string, tf.Scalar>;
}

/** Cosine momentum schedule for EMA targets: m goes from `start` to `end` over training. */
export interface MomentumSchedule {
  start: number;
  end: number;
}

/** A pair that the engine keeps in step by EMA: target ← m·target + (1−m)·online. */
export interface MomentumPair {
  online: tf.Variable;
  target: tf.Variable;
}

/** objective kind. The loss is a function of embeddings; state (heads, EMA copies) is declared. */
export interface Objective extends Trainable {
  /** View names this objective reads, by position. Empty when it only reads text. */
  readonly views: readonly string[];
  /** Whether it reads `textEmbedding()` (and so needs captions). */
  readonly usesText: boolean;
  /**
   * True when the loss couples the samples of a batch (contrastive logits, batch-wide
   * statistics): in a data-parallel run the engine then hands it every rank's rows gathered
   * (the global batch), with gradients routed back to each rank's own rows. Otherwise it sees
   * this rank's rows, with BatchNorm statistics synchronised over the ranks.
   */
  readonly needsGlobalBatch?: boolean;
  /** Present when the objective needs an EMA copy of the image encoder. */
  readonly momentum?: MomentumSchedule;
  /** EMA pairs owned by the objective (e.g. target projector); the engine updates them with the encoder's. */
  momentumPairs?(): MomentumPair[];
  /**
   * With `momentum`: how many of the leading views the EMA encoder must see (DINO's teacher
   * sees the global crops only, not the local ones). Default: every view.
   */
  readonly momentumViewCount?: number;
  /**
   * Non-trained state that the objective updates itself in compute (DINO's center, a queue of
   * past embeddings): never in variables(), but checkpointed beside the weights so that a
   * resumed run continues exactly.
   */
  state?(): NamedVariable[];
  compute(inputs: ObjectiveInputs): ObjectiveOutput;
  /** After each optimiser step (e.g. clamp the logit scale). */
  afterStep?(): void;
}

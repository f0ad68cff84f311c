import type * as tf from '@tensorflow/tfjs';
import type { Trainable } from './trainable';

export interface ImageEncoderOutput {
  /** Pooled features [B, featureDim]. */
  pooled: tf.Tensor2D;
  /** Token sequence [B, tokens, width], only when asked for. */
  tokens?: tf.Tensor3D;
  /** With a patch mask: the patch indices each image kept, [B, kept] row-major, in token order. */
  keptPatches?: Int32Array;
}

/**
 * Drop a random fraction of the patch tokens before the transformer blocks (FLIP, MAE):
 * each image keeps its own random int(L·(1 − ratio)) patches, drawn from `seed` (see
 * core/nn/patch-mask.ts). `firstSample` is the batch row of image 0 when a batch is
 * encoded in chunks, so that every chunk draws the rows the whole batch would. With `keys`
 * (the batch's sample keys), image b's draws are keyed by its sample key instead of its row,
 * so that a sample is masked alike on any data-parallel rank.
 */
export interface PatchMask {
  ratio: number;
  seed: number;
  firstSample?: number;
  keys?: readonly string[];
}

/** imageEncoder kind: image batch [B, H, W, C] (normalised float32) to features. */
export interface ImageEncoder extends Trainable {
  readonly featureDim: number;
  /** Expected input side (square images). */
  readonly imageSize: number;
  /** Side of the square patches of a patch-based encoder (the ViT), for objectives that reconstruct them (MAE). */
  readonly patchSize?: number;
  /**
   * True when each image's output depends on that image alone (no batch statistics, e.g. a
   * ViT with LayerNorm; not a ResNet with BatchNorm in training mode). The engine then runs a
   * step's views through one forward pass instead of one per view: the same result, fewer and
   * larger kernels.
   */
  readonly batchIndependent?: boolean;
  /**
   * `patchMask` is honoured by encoders that declare `supportsPatchMask` (the ViT); with it,
   * `tokens` holds the class token and the kept patches only.
   */
  forward(images: tf.Tensor4D, options?: ImageEncoderForwardOptions): ImageEncoderOutput;
  /** True when forward() can drop patch tokens (patchMask) and encode other image sizes than imageSize. */
  readonly supportsPatchMask?: boolean;
}

export interface ImageEncoderForwardOptions {
  returnTokens?: boolean;
  training?: boolean;
  patchMask?: PatchMask;
}

/** textEncoder kind: token ids [B, T] (int32) to features [B, featureDim], pooled at `eot`. */
export interface TextEncoder extends Trainable {
  readonly featureDim: number;
  readonly contextLength: number;
  /**
   * @param ids int32 [B, T]
   * @param eot int32 [B]: index of the end-of-text token in each row (the pooling position)
   */
  forward(ids: tf.Tensor2D, eot: tf.Tensor1D, options?: { training?: boolean }): tf.Tensor2D;
}

/** A batch of tokenised captions, padded to the context length. */
export interface TokenBatch {
  /** Row-major [batch, contextLength] ids. */
  ids: Int32Array;
  /** Index of the end-of-text token per row. */
  eot: Int32Array;
  batch: number;
  contextLength: number;
}

/** tokenizer kind: strings to ids with start/end tokens and padding; truncation keeps the end token. */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly contextLength: number;
  encode(texts: readonly string[]): TokenBatch;
}

import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../contracts/trainable';
import { DenseLayer, linearNames } from './dense';
import type { ParamSeeds } from './param-seeds';

/**
 * Cuts images [B, H, W, C] into non-overlapping p×p patches → [B·N, C·p·p], N = (H/p)·(W/p)
 * in row-major grid order. Each patch is flattened channel-first (c, y, x), the order of a
 * flattened PyTorch Conv2d kernel [out, C, p, p], so the projection below is timm's
 * `patch_embed.proj` conv with its kernel reshaped to [out, C·p·p] and transposed.
 * Reshape + transpose + matMul (rather than conv2d) has a gradient on every backend.
 */
export function patchify(images: tf.Tensor4D, patchSize: number): tf.Tensor2D {
  const [batch, height, width, channels] = images.shape;
  const rows = height / patchSize;
  const cols = width / patchSize;
  const grid = tf.reshape(images, [batch, rows, patchSize, cols, patchSize, channels]);
  const patches = tf.transpose(grid, [0, 1, 3, 5, 2, 4]); // [B, rows, cols, C, py, px]
  return tf.reshape(patches, [batch * rows * cols, channels * patchSize * patchSize]);
}

/** Patch embedding: patchify, then one linear projection to the model width. */
export class PatchEmbed {
  readonly proj: DenseLayer;
  readonly numPatches: number;

  constructor(
    readonly imageSize: number,
    readonly patchSize: number,
    readonly channels: number,
    width: number,
    init: { std: number; seeds: ParamSeeds },
  ) {
    if (imageSize % patchSize !== 0) throw new RangeError(`image size ${imageSize} is not a multiple of patch size ${patchSize}`);
    this.numPatches = (imageSize / patchSize) ** 2;
    this.proj = new DenseLayer(linearNames('patch_embed.proj'), channels * patchSize * patchSize, width, init);
  }

  /** images [B, S, S, C] → patch embeddings [B·N, width]. */
  apply(images: tf.Tensor4D): tf.Tensor2D {
    return this.proj.apply(patchify(images, this.patchSize));
  }

  variables(): NamedVariable[] {
    return this.proj.variables();
  }
}

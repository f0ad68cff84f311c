import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../contracts/trainable';
import { dense, DenseLayer, linearNames } from './dense';
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

/**
 * Patch embedding: patchify, then one linear projection to the model width. Without a bias
 * (`bias: false`, open_clip's `conv1` and timm's pre-norm CLIP ViTs) the projection's bias is
 * neither applied nor a parameter.
 */
export class PatchEmbed {
  readonly proj: DenseLayer;
  readonly numPatches: number;
  readonly hasBias: boolean;

  constructor(
    readonly imageSize: number,
    readonly patchSize: number,
    readonly channels: number,
    width: number,
    init: { std: number; seeds: ParamSeeds; bias?: boolean },
  ) {
    this.hasBias = init.bias !== false;
    if (imageSize % patchSize !== 0) throw new RangeError(`image size ${imageSize} is not a multiple of patch size ${patchSize}`);
    this.numPatches = (imageSize / patchSize) ** 2;
    this.proj = new DenseLayer(linearNames('patch_embed.proj'), channels * patchSize * patchSize, width, init);
    if (!this.hasBias) this.proj.bias.dispose(); // never read: apply() skips it and variables() leaves it out
  }

  /** images [B, S, S, C] → patch embeddings [B·N, width]. */
  apply(images: tf.Tensor4D): tf.Tensor2D {
    const patches = patchify(images, this.patchSize);
    return this.hasBias ? this.proj.apply(patches) : dense(patches, this.proj.weight);
  }

  variables(): NamedVariable[] {
    const all = this.proj.variables();
    return this.hasBias ? all : all.filter((v) => v.variable !== this.proj.bias);
  }
}

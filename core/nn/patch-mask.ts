import * as tf from '@tensorflow/tfjs';
import type { PatchMask } from '../contracts/encoders';
import { Rng } from '../random';

/** How many of `patches` tokens a mask ratio keeps: MAE's int(L·(1 − ratio)). */
export function keptPatchCount(patches: number, ratio: number): number {
  return Math.floor(patches * (1 - ratio));
}

/**
 * MAE's random_masking (He et al. 2022, facebookresearch/mae models_mae.py; lightly's
 * random_token_mask) from given noise [batch, patches] (row-major): in each row, the indices
 * of the keptPatchCount smallest noise values, in increasing order of noise (argsort's order,
 * ties to the lower index). Returns [batch, kept] row-major.
 */
export function keepIndicesFromNoise(noise: ArrayLike<number>, batch: number, patches: number, ratio: number): Int32Array {
  const kept = keptPatchCount(patches, ratio);
  const out = new Int32Array(batch * kept);
  const order = Array.from({ length: patches }, (_, i) => i);
  for (let b = 0; b < batch; b++) {
    const row = (i: number) => noise[b * patches + i];
    const sorted = [...order].sort((i, j) => row(i) - row(j) || i - j);
    out.set(sorted.slice(0, kept), b * kept);
  }
  return out;
}

/**
 * The patches a PatchMask keeps in each image of a batch [batch, kept]: MAE's per-sample
 * shuffle, with sample b's noise drawn from a stream derived from (seed, firstSample + b), or
 * from (seed, the key of that row) when the mask carries the batch's keys, so that a chunk of the
 * batch (GradCache) draws the rows the whole batch would.
 */
export function patchKeepIndices(batch: number, patches: number, mask: PatchMask): Int32Array {
  if (!(mask.ratio >= 0 && mask.ratio < 1) || keptPatchCount(patches, mask.ratio) < 1) {
    throw new RangeError(`patch mask ratio ${mask.ratio} keeps no patch of ${patches}: it must be in [0, 1) and keep at least one`);
  }
  const noise = new Float32Array(batch * patches);
  for (let b = 0; b < batch; b++) {
    const row = (mask.firstSample ?? 0) + b;
    const rng = Rng.derive(mask.seed, `patch-mask:${mask.keys ? `key:${mask.keys[row]}` : row}`);
    for (let i = 0; i < patches; i++) noise[b * patches + i] = rng.next();
  }
  return keepIndicesFromNoise(noise, batch, patches, mask.ratio);
}

/** tokens [B, L, W] → the kept tokens [B, K, W] (gathered by index, so gradients reach only those). */
export function gatherKeptTokens(tokens: tf.Tensor3D, keep: Int32Array): tf.Tensor3D {
  const [batch, patches, width] = tokens.shape;
  const kept = keep.length / batch;
  const flat = new Int32Array(keep.length);
  for (let i = 0; i < keep.length; i++) flat[i] = Math.floor(i / kept) * patches + keep[i];
  return tf.tidy(() => tf.reshape(tf.gather(tf.reshape(tokens, [batch * patches, width]), tf.tensor1d(flat, 'int32')), [batch, kept, width]) as tf.Tensor3D);
}

import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../contracts/trainable';
import { withCustomGrad } from './custom-grad';
import { DenseLayer, type LinearNames } from './dense';
import type { ParamSeeds } from './param-seeds';

/** Added to masked attention scores: exp() of it is exactly 0 in float32, unlike -Infinity it never makes NaN. */
const MASKED_SCORE = -1e9;

const causalMaskCache = new Map<number, Float32Array>();

/** [T, T] additive mask: 0 where key ≤ query (allowed), MASKED_SCORE above the diagonal. */
function causalMaskValues(tokens: number): Float32Array {
  let values = causalMaskCache.get(tokens);
  if (!values) {
    values = new Float32Array(tokens * tokens);
    for (let q = 0; q < tokens; q++) for (let k = q + 1; k < tokens; k++) values[q * tokens + k] = MASKED_SCORE;
    causalMaskCache.set(tokens, values);
  }
  return values;
}

export interface AttentionShape {
  batch: number;
  tokens: number;
  heads: number;
  /** Mask keys after each query (text transformers); false for ViTs. */
  causal: boolean;
}

/** [B·T, 3·W] packed q|k|v (PyTorch's column order: q heads, then k heads, then v heads) → three [B·H, T, d]. */
function splitHeads(qkv: tf.Tensor2D, s: AttentionShape, headDim: number): tf.Tensor3D[] {
  const perHead = tf.transpose(tf.reshape(qkv, [s.batch, s.tokens, 3, s.heads, headDim]), [2, 0, 3, 1, 4]);
  return tf.unstack(tf.reshape(perHead, [3, s.batch * s.heads, s.tokens, headDim])) as tf.Tensor3D[];
}

/** [B·H, T, d] → [B·T, H·d] */
function mergeHeads(x: tf.Tensor3D, s: AttentionShape, headDim: number): tf.Tensor2D {
  const perToken = tf.transpose(tf.reshape(x, [s.batch, s.heads, s.tokens, headDim]), [0, 2, 1, 3]);
  return tf.reshape(perToken, [s.batch * s.tokens, s.heads * headDim]);
}

/** Inverse of splitHeads for the three gradients: → [B·T, 3·W]. */
function packHeads(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, s: AttentionShape, headDim: number): tf.Tensor2D {
  const stacked = tf.reshape(tf.stack([q, k, v]), [3, s.batch, s.heads, s.tokens, headDim]);
  return tf.reshape(tf.transpose(stacked, [1, 3, 0, 2, 4]), [s.batch * s.tokens, 3 * s.heads * headDim]);
}

/** What attention keeps for its backward pass besides the probabilities: q (already scaled by 1/√d), k and v, each [B·H, T, d]. */
export interface AttentionHeads {
  q: tf.Tensor3D;
  k: tf.Tensor3D;
  v: tf.Tensor3D;
}

/**
 * Forward attention: the output [B·T, W], and the attention probabilities P [B·H, T, T] and
 * split heads its gradient needs (kept split, so the backward pass does not transpose qkv again).
 * `queriesPrescaled`: the caller has folded 1/√d into the query projection (see preNormBlock),
 * so q·kᵀ needs no scaling here.
 */
export function attentionForward(
  qkv: tf.Tensor2D,
  shape: AttentionShape,
  queriesPrescaled = false,
): { output: tf.Tensor2D; probs: tf.Tensor3D; heads: AttentionHeads } {
  const headDim = qkv.shape[1] / 3 / shape.heads;
  return tf.tidy(() => {
    const [rawQ, k, v] = splitHeads(qkv, shape, headDim);
    const q = queriesPrescaled ? rawQ : (tf.mul(rawQ, 1 / Math.sqrt(headDim)) as tf.Tensor3D);
    let scores: tf.Tensor3D = tf.matMul(q, k, false, true);
    if (shape.causal) scores = tf.add(scores, tf.tensor2d(causalMaskValues(shape.tokens), [shape.tokens, shape.tokens]));
    const probs = tf.softmax(scores) as tf.Tensor3D;
    return { output: mergeHeads(tf.matMul(probs, v), shape, headDim), probs, heads: { q, k, v } };
  });
}

/**
 * Gradient of attentionForward with respect to qkv, given the output gradient dy [B·T, W].
 * With dO the output gradient per head and q the scaled queries:
 *   dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dq = dS·K,  dK = dSᵀ·q,
 * and dQ = dq/√d unless the queries were prescaled by the caller's weights.
 */
export function attentionBackward(dy: tf.Tensor2D, heads: AttentionHeads, probs: tf.Tensor3D, shape: AttentionShape, queriesPrescaled = false): tf.Tensor2D {
  const headDim = heads.q.shape[2];
  return tf.tidy(() => {
    const { q, k, v } = heads;
    const dOut = tf.transpose(tf.reshape(dy, [shape.batch, shape.tokens, shape.heads, headDim]), [0, 2, 1, 3]);
    const dO = tf.reshape(dOut, [shape.batch * shape.heads, shape.tokens, headDim]) as tf.Tensor3D;
    const dV: tf.Tensor3D = tf.matMul(probs, dO, true, false);
    const dP: tf.Tensor3D = tf.matMul(dO, v, false, true);
    const dScores: tf.Tensor3D = tf.mul(probs, tf.sub(dP, tf.sum(tf.mul(dP, probs), -1, true)));
    const dScaledQ: tf.Tensor3D = tf.matMul(dScores, k);
    const dQ = queriesPrescaled ? dScaledQ : (tf.mul(dScaledQ, 1 / Math.sqrt(headDim)) as tf.Tensor3D);
    const dK: tf.Tensor3D = tf.matMul(dScores, q, true, false);
    return packHeads(dQ, dK, dV, shape, headDim);
  });
}

/**
 * Scaled dot-product self-attention from packed projections: qkv [B·T, 3·W] → [B·T, W],
 * softmax(q·kᵀ/√d + mask)·v per head, computed with batched matMuls over [B·H, T, d].
 * One tape node that keeps the split heads and the attention probabilities.
 */
export function selfAttention(qkv: tf.Tensor2D, shape: AttentionShape): tf.Tensor2D {
  return withCustomGrad<tf.Tensor2D>([qkv], (save) => {
    const { output, probs, heads } = attentionForward(qkv, shape);
    save([heads.q, heads.k, heads.v, probs]);
    return {
      value: output,
      gradients: (dy, [q, k, v, savedProbs]) => [
        attentionBackward(dy, { q: q as tf.Tensor3D, k: k as tf.Tensor3D, v: v as tf.Tensor3D }, savedProbs as tf.Tensor3D, shape),
      ],
    };
  });
}

export interface AttentionNames {
  qkv: LinearNames;
  proj: LinearNames;
}

export interface AttentionInit {
  seeds: ParamSeeds;
  qkvStd: number;
  projStd: number;
}

/** Multi-head self-attention: packed qkv projection, attention, output projection. */
export class MultiHeadSelfAttention {
  readonly qkv: DenseLayer;
  readonly proj: DenseLayer;

  constructor(
    names: AttentionNames,
    readonly width: number,
    readonly heads: number,
    init: AttentionInit,
  ) {
    if (width % heads !== 0) throw new RangeError(`attention width ${width} is not divisible by ${heads} heads`);
    this.qkv = new DenseLayer(names.qkv, width, 3 * width, { std: init.qkvStd, seeds: init.seeds });
    this.proj = new DenseLayer(names.proj, width, width, { std: init.projStd, seeds: init.seeds });
  }

  /** x [B·T, W] → [B·T, W]. */
  apply(x: tf.Tensor2D, batch: number, tokens: number, causal: boolean): tf.Tensor2D {
    return this.proj.apply(selfAttention(this.qkv.apply(x), { batch, tokens, heads: this.heads, causal }));
  }

  variables(): NamedVariable[] {
    return [...this.qkv.variables(), ...this.proj.variables()];
  }
}

import * as tf from '@tensorflow/tfjs';
import { fusedOpsActive, runFusedOp, type FusedOpAttrs } from '../backend/fused-ops';
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

/**
 * What attention keeps for its backward pass, in one of two layouts (told apart by length):
 * - [qkv + b, P]: with the fused ops, the biased packed projections [B·T, 3·W] and the
 *   probabilities P [B·H, T, T];
 * - [q, k, v, P]: otherwise, the split heads [B·H, T, d] (q already scaled) and P.
 * Either way the same number of floats.
 */
export type AttentionSaved = tf.Tensor[];

/**
 * Forward attention from packed projections without their bias, qkv [B·T, 3·W], and the
 * bias b [3·W]: the output [B·T, W] (heads side by side) and what the backward pass needs.
 * `scale` multiplies q·kᵀ: 1/√d, or 1 where the caller has folded it into the query
 * projection (see preNormBlock).
 *
 * With the fused ops (core/backend/fused-ops.ts) this is one kernel that reads the heads in
 * place through strides: no bias, split, transpose, softmax or merge passes of their own.
 */
export function attentionForward(qkv: tf.Tensor2D, bias: tf.Tensor1D, shape: AttentionShape, scale: number): { output: tf.Tensor2D; saved: AttentionSaved } {
  if (fusedOpsActive()) {
    const [output, probs, biased] = runFusedOp('SlipkitAttention', [qkv, bias], fusedAttentionAttrs(shape, scale));
    return { output: output as tf.Tensor2D, saved: [biased!, probs!] };
  }
  const headDim = qkv.shape[1] / 3 / shape.heads;
  return tf.tidy(() => {
    const [rawQ, k, v] = splitHeads(tf.add(qkv, bias), shape, headDim);
    const q = scale === 1 ? rawQ : (tf.mul(rawQ, scale) as tf.Tensor3D);
    let scores: tf.Tensor3D = tf.matMul(q, k, false, true);
    if (shape.causal) scores = tf.add(scores, tf.tensor2d(causalMaskValues(shape.tokens), [shape.tokens, shape.tokens]));
    const probs = tf.softmax(scores) as tf.Tensor3D;
    return { output: mergeHeads(tf.matMul(probs, v), shape, headDim), saved: [q, k, v, probs] };
  });
}

/**
 * Gradient of attentionForward with respect to qkv (and so, summed over rows, its bias),
 * given the output gradient dy [B·T, W] and what the forward pass saved. With dO the output
 * gradient per head and q the scaled queries:
 *   dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dq = dS·K,  dK = dSᵀ·q,
 * and dQ = scale·dq.
 */
export function attentionBackward(dy: tf.Tensor2D, saved: AttentionSaved, shape: AttentionShape, scale: number): tf.Tensor2D {
  if (saved.length === 2) {
    const [biased, probs] = saved;
    return runFusedOp('SlipkitAttentionGrad', [dy, biased!, probs!], fusedAttentionAttrs(shape, scale))[0] as tf.Tensor2D;
  }
  const [q, k, v, probs] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  const headDim = q.shape[2];
  return tf.tidy(() => {
    const dOut = tf.transpose(tf.reshape(dy, [shape.batch, shape.tokens, shape.heads, headDim]), [0, 2, 1, 3]);
    const dO = tf.reshape(dOut, [shape.batch * shape.heads, shape.tokens, headDim]) as tf.Tensor3D;
    const dV: tf.Tensor3D = tf.matMul(probs, dO, true, false);
    const dP: tf.Tensor3D = tf.matMul(dO, v, false, true);
    const dScores: tf.Tensor3D = tf.mul(probs, tf.sub(dP, tf.sum(tf.mul(dP, probs), -1, true)));
    const dScaledQ: tf.Tensor3D = tf.matMul(dScores, k);
    const dQ = scale === 1 ? dScaledQ : (tf.mul(dScaledQ, scale) as tf.Tensor3D);
    const dK: tf.Tensor3D = tf.matMul(dScores, q, true, false);
    return packHeads(dQ, dK, dV, shape, headDim);
  });
}

const fusedAttentionAttrs = (shape: AttentionShape, scale: number): FusedOpAttrs => ({ heads: shape.heads, tokens: shape.tokens, causal: shape.causal, scale });

/**
 * Scaled dot-product self-attention from packed projections: qkv [B·T, 3·W] → [B·T, W],
 * softmax(q·kᵀ/√d + mask)·v per head. One tape node that keeps the heads and the attention
 * probabilities.
 */
export function selfAttention(qkv: tf.Tensor2D, shape: AttentionShape): tf.Tensor2D {
  const scale = 1 / Math.sqrt(qkv.shape[1] / 3 / shape.heads);
  return withCustomGrad<tf.Tensor2D>([qkv], (save) => {
    const noBias = tf.zeros([qkv.shape[1]]) as tf.Tensor1D;
    const { output, saved } = attentionForward(qkv, noBias, shape, scale);
    noBias.dispose();
    save(saved);
    return {
      value: output,
      gradients: (dy, kept) => [attentionBackward(dy, kept, shape, scale)],
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

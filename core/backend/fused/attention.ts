import * as tf from '@tensorflow/tfjs';
import { defineFusedKernel, referenceVjp, runFused, type FusedAttrs } from './registry';

/** Added to masked attention scores: exp() of it is exactly 0 in float32, unlike -Infinity it never makes NaN. */
export const MASKED_SCORE = -1e9;

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

interface Layout {
  batch: number;
  tokens: number;
  heads: number;
  headDim: number;
}

function layout(qkv: tf.Tensor, attrs: FusedAttrs): Layout {
  const tokens = attrs.tokens!;
  const heads = attrs.heads!;
  return { batch: qkv.shape[0]! / tokens, tokens, heads, headDim: qkv.shape[1]! / 3 / heads };
}

/** [B·T, 3·W] packed q|k|v (PyTorch's column order: q heads, then k heads, then v heads) → three [B·H, T, d]. */
function splitHeads(qkv: tf.Tensor, s: Layout): tf.Tensor3D[] {
  const perHead = tf.transpose(tf.reshape(qkv, [s.batch, s.tokens, 3, s.heads, s.headDim]), [2, 0, 3, 1, 4]);
  return tf.unstack(tf.reshape(perHead, [3, s.batch * s.heads, s.tokens, s.headDim])) as tf.Tensor3D[];
}

/** [B·H, T, d] → [B·T, H·d] */
function mergeHeads(x: tf.Tensor3D, s: Layout): tf.Tensor2D {
  const perToken = tf.transpose(tf.reshape(x, [s.batch, s.heads, s.tokens, s.headDim]), [0, 2, 1, 3]);
  return tf.reshape(perToken, [s.batch * s.tokens, s.heads * s.headDim]);
}

/** Inverse of splitHeads for the three gradients: → [B·T, 3·W]. */
function packHeads(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, s: Layout): tf.Tensor2D {
  const stacked = tf.reshape(tf.stack([q, k, v]), [3, s.batch, s.heads, s.tokens, s.headDim]);
  return tf.reshape(tf.transpose(stacked, [1, 3, 0, 2, 4]), [s.batch * s.tokens, 3 * s.heads * s.headDim]);
}

/**
 * SlipkitAttention: from packed projections without their bias, qkv [B·T, 3·W], and the bias
 * b [3·W]: softmax(scale·q·kᵀ + mask)·v per head [B·T, W], the probabilities P [B·H, T, T]
 * and qkv + b [B·T, 3·W] (the last two for the backward pass).
 */
export const ATTENTION = defineFusedKernel({
  name: 'SlipkitAttention',
  outputs: 3,
  reference: ([qkv, bias], attrs) => {
    const s = layout(qkv!, attrs);
    const biased = tf.add(qkv!, bias!);
    const [rawQ, k, v] = splitHeads(biased, s);
    const q = attrs.scale === 1 ? rawQ! : tf.mul(rawQ!, attrs.scale!);
    let scores: tf.Tensor = tf.matMul(q, k!, false, true);
    if (attrs.causal) scores = tf.add(scores, tf.tensor2d(causalMaskValues(s.tokens), [s.tokens, s.tokens]));
    const probs = tf.softmax(scores) as tf.Tensor3D;
    return [mergeHeads(tf.matMul(probs, v!), s), probs, biased];
  },
});

/**
 * SlipkitAttentionGrad: d(qkv) [B·T, 3·W] from the output gradient dy [B·T, W], qkv + b and P.
 * With dO the output gradient per head and q the scaled queries:
 *   dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dq = dS·K,  dK = dSᵀ·q,  dQ = scale·dq.
 */
export const ATTENTION_GRAD = defineFusedKernel({
  name: 'SlipkitAttentionGrad',
  outputs: 1,
  reference: ([dy, biased, probs], attrs) => {
    const s = layout(biased!, attrs);
    const [rawQ, k, v] = splitHeads(biased!, s);
    const scale = attrs.scale!;
    const q = scale === 1 ? rawQ! : tf.mul(rawQ!, scale);
    const dOut = tf.transpose(tf.reshape(dy!, [s.batch, s.tokens, s.heads, s.headDim]), [0, 2, 1, 3]);
    const dO = tf.reshape(dOut, [s.batch * s.heads, s.tokens, s.headDim]) as tf.Tensor3D;
    const p = probs as tf.Tensor3D;
    const dV: tf.Tensor3D = tf.matMul(p, dO, true, false);
    const dP: tf.Tensor3D = tf.matMul(dO, v!, false, true);
    const dScores: tf.Tensor3D = tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dP, p), -1, true)));
    const dScaledQ: tf.Tensor3D = tf.matMul(dScores, k!);
    const dQ = scale === 1 ? dScaledQ : (tf.mul(dScaledQ, scale) as tf.Tensor3D);
    const dK: tf.Tensor3D = tf.matMul(dScores, q, true, false);
    return [packHeads(dQ, dK, dV, s)];
  },
});

export interface AttentionAttrs {
  heads: number;
  tokens: number;
  causal: boolean;
  scale: number;
}

/** The attention output [B·T, W], and what attentionGrad needs: qkv + b and P. */
export function attention(qkv: tf.Tensor2D, bias: tf.Tensor1D, attrs: AttentionAttrs): { output: tf.Tensor2D; biased: tf.Tensor2D; probs: tf.Tensor3D } {
  const [output, probs, biased] = runFused(ATTENTION.name, [qkv, bias], { ...attrs });
  return { output: output as tf.Tensor2D, biased: biased as tf.Tensor2D, probs: probs as tf.Tensor3D };
}

export function attentionGrad(dy: tf.Tensor2D, biased: tf.Tensor2D, probs: tf.Tensor3D, attrs: AttentionAttrs): tf.Tensor2D {
  return runFused(ATTENTION_GRAD.name, [dy, biased, probs], { ...attrs })[0] as tf.Tensor2D;
}

/**
 * Through the tape, the reference's autodiff (every output's gradient, the probabilities'
 * included). slipkit's attention layer takes its gradient with attentionGrad in its own
 * custom-gradient scope instead.
 */
export const ATTENTION_GRADIENTS: tf.GradConfig[] = [referenceVjp(ATTENTION.name, 2), referenceVjp(ATTENTION_GRAD.name, 3)];

import * as tf from '@tensorflow/tfjs';
import { attention, attentionGrad, type AttentionAttrs } from '../backend/fused';
import type { NamedVariable } from '../contracts/trainable';
import { withCustomGrad } from './custom-grad';
import { DenseLayer, type LinearNames } from './dense';
import type { ParamSeeds } from './param-seeds';

export interface AttentionShape {
  batch: number;
  tokens: number;
  heads: number;
  /** Mask keys after each query (text transformers); false for ViTs. */
  causal: boolean;
}

/** What attention keeps for its backward pass: the biased packed projections [B·T, 3·W] and the probabilities P [B·H, T, T]. */
export type AttentionSaved = tf.Tensor[];

/**
 * Forward attention from packed projections without their bias, qkv [B·T, 3·W], and the
 * bias b [3·W]: the output [B·T, W] (heads side by side) and what the backward pass needs.
 * `scale` multiplies q·kᵀ: 1/√d, or 1 where the caller has folded it into the query
 * projection (see preNormBlock).
 *
 * One kernel, SlipkitAttention (core/backend/fused): where the backend has its own, it reads
 * the heads in place through strides, with no bias, split, transpose, softmax or merge
 * passes of their own.
 */
export function attentionForward(qkv: tf.Tensor2D, bias: tf.Tensor1D, shape: AttentionShape, scale: number): { output: tf.Tensor2D; saved: AttentionSaved } {
  const { output, biased, probs } = attention(qkv, bias, attentionAttrs(shape, scale));
  return { output, saved: [biased, probs] };
}

/**
 * Gradient of attentionForward with respect to qkv (and so, summed over rows, its bias),
 * given the output gradient dy [B·T, W] and what the forward pass saved: one kernel,
 * SlipkitAttentionGrad.
 */
export function attentionBackward(dy: tf.Tensor2D, saved: AttentionSaved, shape: AttentionShape, scale: number): tf.Tensor2D {
  const [biased, probs] = saved as [tf.Tensor2D, tf.Tensor3D];
  return attentionGrad(dy, biased, probs, attentionAttrs(shape, scale));
}

const attentionAttrs = (shape: AttentionShape, scale: number): AttentionAttrs => ({ heads: shape.heads, tokens: shape.tokens, causal: shape.causal, scale });

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

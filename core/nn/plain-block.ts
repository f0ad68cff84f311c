import * as tf from '@tensorflow/tfjs';
import type { AttentionShape } from './attention';
import { dense } from './dense';
import { gelu } from './gelu';
import type { PreNormBlockParams } from './pre-norm-block';

/** The MLP activations of the transformers slipkit imports: exact GELU (timm, open_clip) or QuickGELU (OpenAI CLIP). */
export type MlpActivation = 'gelu' | 'quick-gelu';

/** OpenAI CLIP's QuickGELU: x·σ(1.702·x), a sigmoid approximation of GELU that their checkpoints were trained with. */
export function quickGelu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))) as T);
}

/**
 * Multi-head self-attention from a packed q|k|v projection [B·T, 3·W] to [B·T, W], in plain
 * tfjs ops (tfjs differentiates it), with keys after each query masked when causal.
 */
function plainAttention(qkv: tf.Tensor2D, shape: AttentionShape): tf.Tensor2D {
  const { batch, tokens, heads, causal } = shape;
  const width = qkv.shape[1] / 3;
  const headDim = width / heads;
  const split = tf.transpose(tf.reshape(qkv, [batch, tokens, 3, heads, headDim]), [2, 0, 3, 1, 4]);
  const [q, k, v] = tf.unstack(split) as tf.Tensor4D[];
  let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(headDim));
  if (causal) {
    const mask = tf.linalg.bandPart(tf.ones([tokens, tokens]), 0, -1); // 1 on and above the diagonal
    const above = tf.sub(mask, tf.linalg.bandPart(tf.ones([tokens, tokens]), 0, 0));
    scores = tf.add(scores, tf.mul(above, -1e9));
  }
  const context = tf.matMul(tf.softmax(scores), v); // [B, H, T, D]
  return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * tokens, width]);
}

/**
 * The pre-LN block of preNormBlock with a choice of MLP activation, written in plain tfjs
 * ops and differentiated by tfjs. preNormBlock folds GELU's constants into its weights and
 * hand-writes the backward pass, so another activation takes this path: it is slower and
 * keeps more activations for the gradient, which matters little for the imported
 * QuickGELU models (mostly evaluated or fine-tuned).
 */
export function plainPreNormBlock(x: tf.Tensor2D, p: PreNormBlockParams, shape: AttentionShape, activation: MlpActivation): tf.Tensor2D {
  return tf.tidy(() => {
    const attended = tf.add(x, p.proj.apply(plainAttention(p.qkv.apply(p.norm1.apply(x)), shape))) as tf.Tensor2D;
    const hidden = dense(p.norm2.apply(attended), p.fc1.weight, p.fc1.bias);
    const activated = activation === 'quick-gelu' ? quickGelu(hidden) : gelu(hidden);
    return tf.add(attended, p.fc2.apply(activated)) as tf.Tensor2D;
  });
}

import * as tf from '@tensorflow/tfjs';
import type { Activation, WebImageConfig, WebModelConfig, WebTextConfig } from './model-config';

/**
 * The exported model's forward passes in plain tfjs ops, for the browser: the same
 * computation as slipkit's `vit` and `text-transformer` encoders and the model's projections
 * (slipkit's own layers use Node-side fused kernels, so the page has its own short copy; the
 * browser test holds the two to 1e-4). Weights keep slipkit's names and layout.
 */

/** Parameter names of one pre-LN block. */
interface BlockNames {
  norm1: string;
  qkvWeight: string;
  qkvBias: string;
  proj: string;
  norm2: string;
  fc1: string;
  fc2: string;
}

const timmBlock = (prefix: string): BlockNames => ({
  norm1: `${prefix}.norm1`,
  qkvWeight: `${prefix}.attn.qkv.weight`,
  qkvBias: `${prefix}.attn.qkv.bias`,
  proj: `${prefix}.attn.proj`,
  norm2: `${prefix}.norm2`,
  fc1: `${prefix}.mlp.fc1`,
  fc2: `${prefix}.mlp.fc2`,
});

const openClipBlock = (prefix: string): BlockNames => ({
  norm1: `${prefix}.ln_1`,
  qkvWeight: `${prefix}.attn.in_proj_weight`,
  qkvBias: `${prefix}.attn.in_proj_bias`,
  proj: `${prefix}.attn.out_proj`,
  norm2: `${prefix}.ln_2`,
  fc1: `${prefix}.mlp.c_fc`,
  fc2: `${prefix}.mlp.c_proj`,
});

export class WebClipModel {
  constructor(
    readonly config: WebModelConfig,
    private readonly weights: tf.NamedTensorMap,
  ) {
    for (const spec of config.weightsManifest.flatMap((m) => m.weights)) {
      if (!weights[spec.name]) throw new Error(`weights.bin lacks ${spec.name}`);
    }
  }

  private w(name: string): tf.Tensor {
    const t = this.weights[name];
    if (!t) throw new Error(`the model has no parameter ${name}`);
    return t;
  }

  private layerNorm(x: tf.Tensor2D, name: string, eps: number): tf.Tensor2D {
    return this.layerNormAny(x, name, eps) as tf.Tensor2D;
  }

  private layerNormAny(x: tf.Tensor, name: string, eps: number): tf.Tensor {
    const mean = tf.mean(x, -1, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), -1, true);
    return tf.add(tf.mul(tf.div(centred, tf.sqrt(tf.add(variance, eps))), this.w(`${name}.weight`)), this.w(`${name}.bias`));
  }

  private dense(x: tf.Tensor2D, weight: string, bias?: string): tf.Tensor2D {
    const y: tf.Tensor2D = tf.matMul(x, this.w(weight) as tf.Tensor2D);
    return bias ? tf.add<tf.Tensor2D>(y, this.w(bias)) : y;
  }

  private activate(x: tf.Tensor2D, activation: Activation): tf.Tensor2D {
    if (activation === 'quick-gelu') return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))) as tf.Tensor2D;
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))) as tf.Tensor2D; // exact GELU
  }

  /** x [B·T, W] → [B·T, W]: x + attn(norm1(x)), then + mlp(norm2(·)). */
  private block(x: tf.Tensor2D, n: BlockNames, shape: { batch: number; tokens: number; heads: number; causal: boolean }, eps: number, activation: Activation): tf.Tensor2D {
    const { batch, tokens, heads, causal } = shape;
    const width = x.shape[1];
    const headDim = width / heads;
    const qkv = this.dense(this.layerNorm(x, n.norm1, eps), n.qkvWeight, n.qkvBias);
    const split = tf.transpose(tf.reshape(qkv, [batch, tokens, 3, heads, headDim]), [2, 0, 3, 1, 4]);
    const [q, k, v] = tf.unstack(split) as tf.Tensor4D[];
    let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(headDim));
    if (causal) {
      const upper = tf.sub(tf.linalg.bandPart(tf.ones([tokens, tokens]), 0, -1), tf.linalg.bandPart(tf.ones([tokens, tokens]), 0, 0));
      scores = tf.add(scores, tf.mul(upper, -1e9));
    }
    const context = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [batch * tokens, width]) as tf.Tensor2D;
    const attended = tf.add(x, this.dense(context, `${n.proj}.weight`, `${n.proj}.bias`)) as tf.Tensor2D;
    const hidden = this.activate(this.dense(this.layerNorm(attended, n.norm2, eps), `${n.fc1}.weight`, `${n.fc1}.bias`), activation);
    return tf.add(attended, this.dense(hidden, `${n.fc2}.weight`, `${n.fc2}.bias`)) as tf.Tensor2D;
  }

  /** Normalised images [B, S, S, C] → image embeddings [B, E] (not L2-normalised). */
  embedImages(images: tf.Tensor4D): tf.Tensor2D {
    const c: WebImageConfig = this.config.image;
    return tf.tidy(() => {
      const [batch, size, , channels] = images.shape;
      const p = c.patchSize;
      const grid = size / p;
      const numPatches = grid * grid;
      const tokens = numPatches + 1;
      const patches = tf.reshape(tf.transpose(tf.reshape(images, [batch, grid, p, grid, p, channels]), [0, 1, 3, 5, 2, 4]), [batch * numPatches, channels * p * p]) as tf.Tensor2D;
      const embedded = tf.reshape(this.dense(patches, 'visual.patch_embed.proj.weight', c.patchBias ? 'visual.patch_embed.proj.bias' : undefined), [batch, numPatches, c.width]);
      const cls = tf.add(tf.zeros([batch, 1, c.width]), this.w('visual.cls_token'));
      let x = tf.reshape(tf.add(tf.concat([cls, embedded], 1), this.w('visual.pos_embed')), [batch * tokens, c.width]) as tf.Tensor2D;
      if (c.lnPre) x = this.layerNorm(x, 'visual.norm_pre', c.layerNormEps);
      for (let i = 0; i < c.depth; i++) x = this.block(x, timmBlock(`visual.blocks.${i}`), { batch, tokens, heads: c.heads, causal: false }, c.layerNormEps, c.activation);
      const h = tf.reshape(x, [batch, tokens, c.width]);
      let pooled: tf.Tensor2D;
      if (c.pool === 'token') pooled = this.layerNorm(tf.reshape(tf.slice(h, [0, 0, 0], [batch, 1, c.width]), [batch, c.width]), 'visual.norm', c.layerNormEps);
      else if (c.poolNorm === 'pooled') pooled = this.layerNorm(tf.mean(tf.slice(h, [0, 1, 0], [batch, numPatches, c.width]), 1) as tf.Tensor2D, 'visual.norm', c.layerNormEps);
      else {
        const normed = tf.reshape(this.layerNorm(x, 'visual.norm', c.layerNormEps), [batch, tokens, c.width]);
        pooled = tf.mean(tf.slice(normed, [0, 1, 0], [batch, numPatches, c.width]), 1) as tf.Tensor2D;
      }
      return tf.matMul(pooled, this.w('visual.proj') as tf.Tensor2D);
    });
  }

  /** Token ids [B, L] and end-of-text positions [B] → text embeddings [B, E] (not L2-normalised). */
  embedTokens(ids: Int32Array, eot: Int32Array, batch: number): tf.Tensor2D {
    const c: WebTextConfig = this.config.text;
    const tokens = ids.length / batch;
    return tf.tidy(() => {
      const embedded = tf.gather(this.w('token_embedding.weight'), tf.tensor1d(ids, 'int32'));
      const positions = tf.slice(this.w('positional_embedding'), [0, 0], [tokens, c.width]);
      let x = tf.reshape(tf.add(tf.reshape(embedded, [batch, tokens, c.width]), positions), [batch * tokens, c.width]) as tf.Tensor2D;
      for (let i = 0; i < c.depth; i++) x = this.block(x, openClipBlock(`transformer.resblocks.${i}`), { batch, tokens, heads: c.heads, causal: true }, c.layerNormEps, c.activation);
      const rows = Int32Array.from(eot, (e, b) => b * tokens + e);
      const pooled = this.layerNorm(tf.gather(x, tf.tensor1d(rows, 'int32')) as tf.Tensor2D, 'ln_final', c.layerNormEps);
      return tf.matMul(pooled, this.w('text_projection') as tf.Tensor2D);
    });
  }
}

/** Rows scaled to unit length (as slipkit's l2Normalize, eps 1e-12 on the norm). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D);
}

/** CLIP's prompt ensemble, as the zero-shot evaluator builds it: per class, the renormalised mean of the normalised prompt embeddings. */
export function classEmbeddings(promptEmbeddings: tf.Tensor2D, classes: number, templates: number): tf.Tensor2D {
  return tf.tidy(() => {
    const perPrompt = l2Normalize(promptEmbeddings);
    return l2Normalize(tf.mean(tf.reshape(perPrompt, [classes, templates, -1]), 1) as tf.Tensor2D);
  });
}

import * as tf from '@tensorflow/tfjs';
import { gatherKeptTokens, LayerNorm, Linear, type NamedVariable, normalVariable, type ParamSeeds, TIMM_BLOCK_NAMING, Transformer } from '../../../core/toolkit';

export interface MaeDecoderOptions {
  width: number;
  depth: number;
  heads: number;
  mlpRatio: number;
}

/**
 * MAE's fixed 2-D sine-cosine position embedding (facebookresearch/mae util/pos_embed.py
 * get_2d_sincos_pos_embed with cls_token): [1 + rows·cols, dim], a zero row for the class
 * token, then per patch sin/cos of its column over the first dim/2 entries and of its row over
 * the last dim/2, at frequencies 1/10000^(k/(dim/4)).
 */
export function sincosPosEmbed(dim: number, rows: number, cols: number): Float32Array {
  if (dim % 4 !== 0) throw new RangeError(`sincosPosEmbed: dim ${dim} must be a multiple of 4`);
  const quarter = dim / 4;
  const out = new Float32Array((1 + rows * cols) * dim);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const base = (1 + r * cols + c) * dim;
      [c, r].forEach((pos, half) => {
        for (let k = 0; k < quarter; k++) {
          const angle = pos / 10000 ** (k / quarter);
          out[base + half * 2 * quarter + k] = Math.sin(angle);
          out[base + half * 2 * quarter + quarter + k] = Math.cos(angle);
        }
      });
    }
  }
  return out;
}

/** For each image, the token each of the L positions reads: its rank among the kept patches, else `kept` (the mask token). */
function restoreIndices(keptPatches: Int32Array, batch: number, patches: number): Int32Array {
  const kept = keptPatches.length / batch;
  const out = new Int32Array(batch * patches).fill(kept);
  for (let b = 0; b < batch; b++) for (let r = 0; r < kept; r++) out[b * patches + keptPatches[b * kept + r]] = r;
  return out;
}

/**
 * MAE's light decoder (models_mae.py forward_decoder), owned by the mae objective:
 * decoder_embed (encoder width → decoder width), the kept tokens put back at their patch
 * positions with a learned mask_token everywhere else, the fixed sine-cosine position
 * embedding, pre-LN transformer blocks (timm's, named decoder_blocks.N), decoder_norm, and
 * decoder_pred to p·p·C pixels per patch. Returns the predictions of the L patches (the class
 * token dropped). decoder_embed and decoder_pred start xavier-uniform and mask_token ~ N(0, 0.02),
 * as MAE's; the blocks start as slipkit's ViT blocks do (timm's trunc-normal 0.02, where MAE
 * uses xavier-uniform for every Linear).
 */
export class MaeDecoder {
  readonly embed: Linear;
  readonly maskToken: tf.Variable;
  readonly blocks: Transformer;
  readonly norm: LayerNorm;
  readonly pred: Linear;

  constructor(
    encoderWidth: number,
    readonly options: MaeDecoderOptions,
    readonly pixelsPerPatch: number,
    seeds: ParamSeeds,
  ) {
    const { width } = options;
    this.embed = new Linear(encoderWidth, width, seeds.rng('decoder_embed.weight'));
    this.maskToken = normalVariable([1, 1, width], 0.02, seeds.rng('mask_token'));
    this.blocks = new Transformer(
      {
        width,
        depth: options.depth,
        heads: options.heads,
        mlpRatio: options.mlpRatio,
        layerNormEps: 1e-6,
        causal: false,
        blockPrefix: (i) => `decoder_blocks.${i}`,
        naming: TIMM_BLOCK_NAMING,
        initStd: { qkv: 0.02, proj: 0.02, fc1: 0.02, fc2: 0.02 },
      },
      seeds,
    );
    this.norm = new LayerNorm('decoder_norm', width, 1e-6);
    this.pred = new Linear(width, pixelsPerPatch, seeds.rng('decoder_pred.weight'));
  }

  /** latent [B, 1 + kept, encoderWidth] (class token first) → predictions [B, rows·cols, p·p·C]. */
  apply(latent: tf.Tensor3D, keptPatches: Int32Array, grid: [number, number]): tf.Tensor3D {
    const [batch, , ] = latent.shape;
    const patches = grid[0] * grid[1];
    const width = this.options.width;
    const tokens = 1 + patches;
    return tf.tidy(() => {
      const x = this.embed.apply(latent);
      const kept = tf.slice(x, [0, 1, 0], [-1, -1, -1]);
      const withMask = tf.concat([kept, tf.add(tf.zeros([batch, 1, width]), this.maskToken)], 1) as tf.Tensor3D;
      const full = gatherKeptTokens(withMask, restoreIndices(keptPatches, batch, patches));
      const pos = tf.tensor3d(sincosPosEmbed(width, grid[0], grid[1]), [1, tokens, width]);
      const seq = tf.add(tf.concat([tf.slice(x, [0, 0, 0], [-1, 1, -1]), full], 1), pos);
      const h = this.blocks.apply(tf.reshape(seq, [batch * tokens, width]) as tf.Tensor2D, batch, tokens);
      const out = tf.reshape(this.pred.apply(this.norm.apply(h)), [batch, tokens, this.pixelsPerPatch]);
      return tf.slice(out, [0, 1, 0], [-1, -1, -1]) as tf.Tensor3D;
    });
  }

  variables(): NamedVariable[] {
    return [
      ...this.embed.variables('decoder_embed'),
      { name: 'mask_token', variable: this.maskToken, decay: false },
      ...this.blocks.variables(),
      ...this.norm.variables(),
      ...this.pred.variables('decoder_pred'),
    ];
  }
}

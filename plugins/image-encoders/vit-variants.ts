import * as tf from '@tensorflow/tfjs';
import type { LayerNorm, MlpActivation } from '../../core/toolkit';

/**
 * The architecture choices in which open_clip's and timm's ViTs differ from slipkit's
 * default (timm's plain VisionTransformer), as options of the `vit` encoder:
 *
 * | option        | slipkit / timm default | open_clip ViT-B/32          | OpenAI CLIP  | timm `vit_*_clip_*` |
 * |---------------|------------------------|-----------------------------|--------------|---------------------|
 * | lnPre         | false                  | true (`ln_pre`)             | true         | true (`norm_pre`)   |
 * | patchBias     | true                   | false (`conv1` has none)    | false        | false               |
 * | layerNormEps  | 1e-6                   | 1e-5                        | 1e-5         | 1e-5                |
 * | activation    | gelu                   | gelu                        | quick-gelu   | gelu / quick-gelu   |
 * | pool          | token                  | token (`pool_type='tok'`)   | token        | token               |
 * | poolNorm      | tokens                 | tokens (`final_ln_after_pool` false) | tokens | tokens          |
 *
 * `pool: 'avg'` averages the patch tokens (not the class token). With `poolNorm: 'tokens'`
 * the final norm runs on every token before averaging (open_clip's `pool_type='avg'`);
 * with `'pooled'` it runs on the average (timm's `global_pool='avg'` with `fc_norm`, and
 * open_clip's `final_ln_after_pool`).
 */
export interface VitVariantOptions {
  lnPre: boolean;
  patchBias: boolean;
  layerNormEps: number;
  activation: MlpActivation;
  pool: 'token' | 'avg';
  poolNorm: 'tokens' | 'pooled';
}

export const VIT_VARIANT_SCHEMA = {
  lnPre: {
    type: 'boolean',
    default: false,
    description: "LayerNorm on the embedded tokens before the first block (open_clip's ln_pre, timm's norm_pre).",
  },
  patchBias: { type: 'boolean', default: true, description: 'Bias on the patch projection (false in open_clip and OpenAI CLIP).' },
  layerNormEps: { type: 'number', exclusiveMinimum: 0, default: 1e-6, description: 'LayerNorm epsilon: 1e-6 in timm, 1e-5 in open_clip.' },
  activation: { enum: ['gelu', 'quick-gelu'], default: 'gelu', description: "MLP activation: exact GELU, or OpenAI CLIP's QuickGELU x·σ(1.702x)." },
  pool: { enum: ['token', 'avg'], default: 'token', description: 'Pooled output: the class token, or the mean of the patch tokens.' },
  poolNorm: {
    enum: ['tokens', 'pooled'],
    default: 'tokens',
    description: "With pool 'avg': the final norm on every token before averaging (open_clip), or on the average (timm fc_norm).",
  },
} as const;

/**
 * Pooled features [B, W] from the last block's output h [B, T, W] (class token first), and
 * the final-normed tokens when asked.
 */
export function poolTokens(
  h: tf.Tensor3D,
  norm: LayerNorm,
  variant: Pick<VitVariantOptions, 'pool' | 'poolNorm'>,
  returnTokens: boolean,
): { pooled: tf.Tensor2D; tokens?: tf.Tensor3D } {
  const [batch, tokens, width] = h.shape;
  const normAll = () => tf.reshape(norm.apply(tf.reshape(h, [batch * tokens, width])), [batch, tokens, width]) as tf.Tensor3D;
  if (variant.pool === 'token') {
    if (returnTokens) {
      const normed = normAll();
      return { pooled: tf.reshape(tf.slice(normed, [0, 0, 0], [batch, 1, width]), [batch, width]), tokens: normed };
    }
    // LayerNorm is per token, so normalising the class token alone gives the same pooled output.
    return { pooled: norm.apply(tf.reshape(tf.slice(h, [0, 0, 0], [batch, 1, width]), [batch, width])) };
  }
  const patchMean = (x: tf.Tensor3D) => tf.mean(tf.slice(x, [0, 1, 0], [batch, tokens - 1, width]), 1) as tf.Tensor2D;
  if (variant.poolNorm === 'pooled') {
    return { pooled: norm.apply(patchMean(h)), tokens: returnTokens ? normAll() : undefined };
  }
  const normed = normAll();
  return { pooled: patchMean(normed), tokens: returnTokens ? normed : undefined };
}

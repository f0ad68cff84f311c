import * as tf from '@tensorflow/tfjs';
import {
  definePlugin,
  gatherKeptTokens,
  type ImageEncoder,
  type ImageEncoderForwardOptions,
  type ImageEncoderOutput,
  LayerNorm,
  type NamedVariable,
  normalVariable,
  ParamSeeds,
  patchKeepIndices,
  PatchEmbed,
  SpecError,
  TIMM_BLOCK_NAMING,
  Transformer,
  truncNormalVariable,
} from '../../core/toolkit';
import { resamplePosEmbed } from './pos-embed-resample';
import { poolTokens, VIT_VARIANT_SCHEMA, type VitVariantOptions } from './vit-variants';

/** Width, depth and heads of the standard ViT sizes (Dosovitskiy et al.; DeiT for tiny/small). */
export const VIT_PRESETS = {
  tiny: { width: 192, depth: 12, heads: 3 },
  small: { width: 384, depth: 12, heads: 6 },
  base: { width: 768, depth: 12, heads: 12 },
  large: { width: 1024, depth: 24, heads: 16 },
} as const;

export type VitPreset = keyof typeof VIT_PRESETS;

/** Spec options of the `vit` image encoder; width/depth/heads override the preset's. */
/** The encoder's options, schema defaults filled (by the plugin builder); sizes left out come from the preset. */
export interface VitOptions extends VitVariantOptions {
  preset: VitPreset;
  imageSize?: number;
  patchSize: number;
  channels: number;
  width?: number;
  depth?: number;
  heads?: number;
  mlpRatio: number;
}

/** A fully resolved ViT architecture. */
export interface VitConfig extends Partial<VitVariantOptions> {
  imageSize: number;
  patchSize: number;
  channels: number;
  width: number;
  depth: number;
  heads: number;
  mlpRatio: number;
}

/** timm initialises every linear weight and the position embedding with trunc_normal(std=0.02). */
const INIT_STD = 0.02;
/** timm's ViT uses LayerNorm(eps=1e-6); open_clip's 1e-5 (option layerNormEps). */
const LAYER_NORM_EPS = 1e-6;

/** Fills the preset's sizes in, and checks the sizes fit together (errors name the option's spec path). */
export function resolveVitConfig(options: VitOptions, defaultImageSize: number, path = 'model.image'): VitConfig {
  const preset = VIT_PRESETS[options.preset];
  const config: VitConfig = {
    imageSize: options.imageSize ?? defaultImageSize,
    patchSize: options.patchSize,
    channels: options.channels,
    width: options.width ?? preset.width,
    depth: options.depth ?? preset.depth,
    heads: options.heads ?? preset.heads,
    mlpRatio: options.mlpRatio,
    lnPre: options.lnPre,
    patchBias: options.patchBias,
    layerNormEps: options.layerNormEps,
    activation: options.activation,
    pool: options.pool,
    poolNorm: options.poolNorm,
  };
  if (config.imageSize % config.patchSize !== 0) {
    throw SpecError.at(`${path}.patchSize`, `must divide the image size ${config.imageSize} (got ${config.patchSize})`);
  }
  if (config.width % config.heads !== 0) {
    throw SpecError.at(`${path}.heads`, `must divide the width ${config.width} (got ${config.heads})`);
  }
  return config;
}

/**
 * Vision Transformer as in timm's VisionTransformer (class-token pooling, no dropout):
 * patch embedding, class token, learned position embeddings, pre-LN blocks with a GELU
 * MLP, final LayerNorm. Pooled output = the final-normed class token [B, width].
 * Parameter names are timm's (`cls_token`, `pos_embed`, `blocks.0.attn.qkv.weight`, …).
 */
export class VisionTransformer implements ImageEncoder {
  readonly featureDim: number;
  readonly imageSize: number;
  readonly patchSize: number;
  /** LayerNorm only: each image's features depend on that image alone. */
  readonly batchIndependent = true;
  /** Drops patch tokens on request, and encodes any image side that is a multiple of the patch size (multi-crop). */
  readonly supportsPatchMask = true;
  readonly clsToken: tf.Variable<tf.Rank.R3>;
  readonly posEmbed: tf.Variable<tf.Rank.R3>;
  readonly patchEmbed: PatchEmbed;
  readonly transformer: Transformer;
  readonly norm: LayerNorm;
  /** open_clip's ln_pre / timm's norm_pre, when config.lnPre. */
  readonly normPre?: LayerNorm;
  private readonly tokens: number;

  constructor(
    readonly config: VitConfig,
    seeds: ParamSeeds,
  ) {
    const { width, depth } = config;
    const eps = config.layerNormEps ?? LAYER_NORM_EPS;
    this.featureDim = width;
    this.imageSize = config.imageSize;
    this.patchSize = config.patchSize;
    this.patchEmbed = new PatchEmbed(config.imageSize, config.patchSize, config.channels, width, { std: INIT_STD, seeds, bias: config.patchBias });
    this.tokens = this.patchEmbed.numPatches + 1;
    // timm: cls_token ~ N(0, 1e-6), pos_embed ~ trunc_normal(0.02).
    this.clsToken = normalVariable([1, 1, width], 1e-6, seeds.rng('cls_token')) as tf.Variable<tf.Rank.R3>;
    this.posEmbed = truncNormalVariable([1, this.tokens, width], INIT_STD, seeds.rng('pos_embed')) as tf.Variable<tf.Rank.R3>;
    this.transformer = new Transformer(
      {
        width,
        depth,
        heads: config.heads,
        mlpRatio: config.mlpRatio,
        layerNormEps: eps,
        causal: false,
        blockPrefix: (i) => `blocks.${i}`,
        naming: TIMM_BLOCK_NAMING,
        initStd: { qkv: INIT_STD, proj: INIT_STD, fc1: INIT_STD, fc2: INIT_STD },
        activation: config.activation,
      },
      seeds,
    );
    this.norm = new LayerNorm('norm', width, eps);
    if (config.lnPre) this.normPre = new LayerNorm('norm_pre', width, eps);
  }

  forward(images: tf.Tensor4D, options: ImageEncoderForwardOptions = {}): ImageEncoderOutput {
    const [batch, height, widthPx, channels] = images.shape;
    const { imageSize, patchSize, channels: expectedChannels, width } = this.config;
    if (height % patchSize !== 0 || widthPx % patchSize !== 0 || channels !== expectedChannels) {
      throw new RangeError(`vit expects images [B, H, W, ${expectedChannels}] with H and W multiples of the patch size ${patchSize} (model size ${imageSize}), got [${images.shape.join(', ')}]`);
    }
    const base = imageSize / patchSize;
    const grid: [number, number] = [height / patchSize, widthPx / patchSize];
    const patchCount = grid[0] * grid[1];
    const keep = options.patchMask ? patchKeepIndices(batch, patchCount, options.patchMask) : undefined;
    const tokens = 1 + (keep ? keep.length / batch : patchCount);
    return tf.tidy(() => {
      // Another image size: the position embedding resampled bicubically to its grid, as timm does.
      const pos = resamplePosEmbed(this.posEmbed, [base, base], grid);
      let patches = tf.add(tf.reshape(this.patchEmbed.apply(images), [batch, patchCount, width]), tf.slice(pos, [0, 1, 0], [1, -1, -1])) as tf.Tensor3D;
      if (keep) patches = gatherKeptTokens(patches, keep);
      // Broadcast by adding to zeros: its gradient is one sum over the batch. tf.broadcastTo's
      // (Tile's) gradient slices and adds once per image (2·B kernels per step).
      const cls = tf.add(tf.zeros([batch, 1, width]), tf.add(this.clsToken, tf.slice(pos, [0, 0, 0], [1, 1, -1])));
      const embedded = tf.reshape(tf.concat([cls, patches], 1), [batch * tokens, width]) as tf.Tensor2D;
      const x = this.normPre ? this.normPre.apply(embedded) : embedded;
      const h = tf.reshape(this.transformer.apply(x, batch, tokens), [batch, tokens, width]) as tf.Tensor3D;
      // timm's forward_features: the final norm over every token; the class token is token 0.
      const out = poolTokens(h, this.norm, { pool: this.config.pool ?? 'token', poolNorm: this.config.poolNorm ?? 'tokens' }, options.returnTokens === true);
      return options.returnTokens ? { ...out, keptPatches: keep } : out;
    });
  }

  variables(): NamedVariable[] {
    return [
      { name: 'cls_token', variable: this.clsToken, decay: false },
      { name: 'pos_embed', variable: this.posEmbed, decay: false },
      ...this.patchEmbed.variables(),
      ...(this.normPre?.variables() ?? []),
      ...this.transformer.variables(),
      ...this.norm.variables(),
    ];
  }
}

const size = (description: string, minimum = 1) => ({ type: 'integer', minimum, description });

export default definePlugin<'imageEncoder', VitOptions>({
  kind: 'imageEncoder',
  name: 'vit',
  description: 'Vision Transformer (timm layout): patch embedding, class token, pre-LN blocks, class-token pooling.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      preset: {
        enum: Object.keys(VIT_PRESETS),
        default: 'tiny',
        description: 'Size preset: tiny 192/12/3, small 384/12/6, base 768/12/12, large 1024/24/16 (width/depth/heads).',
      },
      imageSize: size('Input image side in pixels (default: data.imageSize).', 8),
      patchSize: { ...size('Side of the square patches; must divide imageSize.'), default: 16 },
      channels: { ...size('Input channels.'), default: 3 },
      width: size('Token width (overrides the preset).'),
      depth: size('Number of transformer blocks (overrides the preset).'),
      heads: size('Attention heads; must divide width (overrides the preset).'),
      mlpRatio: { type: 'number', exclusiveMinimum: 0, default: 4, description: 'MLP hidden width as a multiple of width.' },
      ...VIT_VARIANT_SCHEMA,
    },
  },
  create: (options, ctx) =>
    new VisionTransformer(resolveVitConfig(options, ctx.settings.imageSize, ctx.path), new ParamSeeds(ctx.seed, ctx.path)),
});

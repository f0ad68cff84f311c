import * as tf from '@tensorflow/tfjs';
import {
  definePlugin,
  embeddingLookup,
  LayerNorm,
  type NamedVariable,
  OPEN_CLIP_BLOCK_NAMING,
  ParamSeeds,
  type MlpActivation,
  type PluginContext,
  SpecError,
  type TextEncoder,
  TOKENIZER,
  type Tokenizer,
  Transformer,
  truncNormalVariable,
} from '../../core/toolkit';

/** Spec options of the `text-transformer` text encoder. */
/** The encoder's options, schema defaults filled (by the plugin builder). */
export interface TextTransformerOptions {
  width: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  /** Default: the tokenizer's context length. */
  contextLength?: number;
  /** Default: the tokenizer's vocabulary size. */
  vocabSize?: number;
  /** MLP activation: 'quick-gelu' in OpenAI's CLIP checkpoints. */
  activation: MlpActivation;
}

/** A fully resolved text transformer architecture. */
export interface TextTransformerConfig {
  width: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  contextLength: number;
  vocabSize: number;
  activation?: MlpActivation;
}

/** open_clip's text tower: nn.LayerNorm with PyTorch's default eps. */
const LAYER_NORM_EPS = 1e-5;
/** CLIP's context length and BPE vocabulary, used when no tokenizer says otherwise. */
const CLIP_CONTEXT_LENGTH = 77;
const CLIP_VOCAB_SIZE = 49408;

/**
 * Fills the context length and vocabulary size in: from the options, else from the tokenizer, else CLIP's. A
 * context shorter than the tokenizer's, or a vocabulary smaller than it, is an error.
 */
export function resolveTextTransformerConfig(
  options: TextTransformerOptions,
  tokenizer: Pick<Tokenizer, 'contextLength' | 'vocabSize'> | undefined,
  path = 'model.text',
): TextTransformerConfig {
  const config: TextTransformerConfig = {
    width: options.width,
    depth: options.depth,
    heads: options.heads,
    mlpRatio: options.mlpRatio,
    contextLength: options.contextLength ?? tokenizer?.contextLength ?? CLIP_CONTEXT_LENGTH,
    vocabSize: options.vocabSize ?? tokenizer?.vocabSize ?? CLIP_VOCAB_SIZE,
    activation: options.activation,
  };
  if (config.width % config.heads !== 0) {
    throw SpecError.at(`${path}.heads`, `must divide the width ${config.width} (got ${config.heads})`);
  }
  if (tokenizer && config.contextLength < tokenizer.contextLength) {
    throw SpecError.at(`${path}.contextLength`, `must be at least the tokenizer's context length ${tokenizer.contextLength} (got ${config.contextLength})`);
  }
  if (tokenizer && config.vocabSize < tokenizer.vocabSize) {
    throw SpecError.at(`${path}.vocabSize`, `must be at least the tokenizer's vocabulary size ${tokenizer.vocabSize} (got ${config.vocabSize})`);
  }
  return config;
}

/**
 * CLIP's text transformer as in open_clip: token embedding + learned positional embedding,
 * causal pre-LN blocks with a GELU MLP, final LayerNorm, features taken at each row's
 * end-of-text position. No text projection: the model owns that (`text_projection`).
 * Parameter names are open_clip's (`token_embedding.weight`, `transformer.resblocks.0.ln_1.weight`, …).
 */
export class TextTransformer implements TextEncoder {
  readonly featureDim: number;
  readonly contextLength: number;
  readonly vocabSize: number;
  readonly tokenEmbedding: tf.Variable<tf.Rank.R2>;
  readonly positionalEmbedding: tf.Variable<tf.Rank.R2>;
  readonly transformer: Transformer;
  readonly lnFinal: LayerNorm;

  constructor(
    readonly config: TextTransformerConfig,
    seeds: ParamSeeds,
  ) {
    const { width, depth, contextLength, vocabSize } = config;
    this.featureDim = width;
    this.contextLength = contextLength;
    this.vocabSize = vocabSize;
    // open_clip's TextTransformer.init_parameters (normal there; truncated at ±2σ here).
    const attnStd = width ** -0.5;
    const projStd = width ** -0.5 * (2 * depth) ** -0.5;
    const fcStd = (2 * width) ** -0.5;
    this.tokenEmbedding = truncNormalVariable([vocabSize, width], 0.02, seeds.rng('token_embedding.weight')) as tf.Variable<tf.Rank.R2>;
    this.positionalEmbedding = truncNormalVariable([contextLength, width], 0.01, seeds.rng('positional_embedding')) as tf.Variable<tf.Rank.R2>;
    this.transformer = new Transformer(
      {
        width,
        depth,
        heads: config.heads,
        mlpRatio: config.mlpRatio,
        layerNormEps: LAYER_NORM_EPS,
        causal: true,
        blockPrefix: (i) => `transformer.resblocks.${i}`,
        naming: OPEN_CLIP_BLOCK_NAMING,
        initStd: { qkv: attnStd, proj: projStd, fc1: fcStd, fc2: projStd },
        activation: config.activation,
      },
      seeds,
    );
    this.lnFinal = new LayerNorm('ln_final', width, LAYER_NORM_EPS);
  }

  forward(ids: tf.Tensor2D, eot: tf.Tensor1D, options: { training?: boolean } = {}): tf.Tensor2D {
    void options; // no dropout
    const [batch, tokens] = ids.shape;
    if (tokens > this.contextLength) {
      throw new RangeError(`text-transformer has a context of ${this.contextLength} tokens, got rows of ${tokens}`);
    }
    if (eot.shape[0] !== batch) throw new RangeError(`eot has ${eot.shape[0]} entries for ${batch} rows of ids`);
    const width = this.featureDim;
    return tf.tidy(() => {
      const embedded = embeddingLookup(this.tokenEmbedding, ids) as tf.Tensor3D;
      const positions = tokens === this.contextLength ? this.positionalEmbedding : tf.slice(this.positionalEmbedding, [0, 0], [tokens, width]);
      const x = tf.reshape(tf.add(embedded, positions), [batch * tokens, width]) as tf.Tensor2D;
      const h = tf.reshape(this.transformer.apply(x, batch, tokens), [batch, tokens, width]) as tf.Tensor3D;
      // Pool at the end-of-text token with a one-hot matMul ([B,1,T]·[B,T,W]): its gradient
      // is a matMul too, on every backend. LayerNorm is per token, so it can follow pooling.
      const select = tf.reshape(tf.cast(tf.oneHot(tf.cast(eot, 'int32'), tokens), 'float32'), [batch, 1, tokens]) as tf.Tensor3D;
      const pooled = tf.reshape(tf.matMul(select, h), [batch, width]) as tf.Tensor2D;
      return this.lnFinal.apply(pooled);
    });
  }

  variables(): NamedVariable[] {
    return [
      { name: 'token_embedding.weight', variable: this.tokenEmbedding, decay: true },
      { name: 'positional_embedding', variable: this.positionalEmbedding, decay: false },
      ...this.transformer.variables(),
      ...this.lnFinal.variables(),
    ];
  }
}

/** The experiment's tokenizer, when the engine registered one (standalone builds have none). */
function registeredTokenizer(ctx: PluginContext): Tokenizer | undefined {
  return ctx.container.isRegistered(TOKENIZER, true) ? ctx.container.resolve(TOKENIZER) : undefined;
}

const size = (description: string) => ({ type: 'integer', minimum: 1, description });

export default definePlugin<'textEncoder', TextTransformerOptions>({
  kind: 'textEncoder',
  name: 'text-transformer',
  description: 'CLIP text transformer (open_clip layout): causal pre-LN blocks, features at the end-of-text token.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      width: { ...size('Token width.'), default: 512 },
      depth: { ...size('Number of transformer blocks.'), default: 12 },
      heads: { ...size('Attention heads; must divide width.'), default: 8 },
      mlpRatio: { type: 'number', exclusiveMinimum: 0, default: 4, description: 'MLP hidden width as a multiple of width.' },
      contextLength: size("Positions in the positional embedding (default: the tokenizer's context length, else 77)."),
      vocabSize: size("Rows of the token embedding (default: the tokenizer's vocabulary size, else 49408)."),
      activation: { enum: ['gelu', 'quick-gelu'], default: 'gelu', description: "MLP activation: exact GELU, or OpenAI CLIP's QuickGELU x·σ(1.702x)." },
    },
  },
  create: (options, ctx) =>
    new TextTransformer(resolveTextTransformerConfig(options, registeredTokenizer(ctx), ctx.path), new ParamSeeds(ctx.seed, ctx.path)),
});

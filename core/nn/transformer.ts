import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../contracts/trainable';
import { MultiHeadSelfAttention } from './attention';
import { DenseLayer, linearNames, type LinearNames } from './dense';
import { LayerNorm } from './layer-norm';
import type { ParamSeeds } from './param-seeds';
import { plainPreNormBlock, type MlpActivation } from './plain-block';
import { preNormBlock } from './pre-norm-block';

/** Names of one block's parameters relative to the block's prefix, so checkpoints map onto timm or open_clip. */
export interface BlockNaming {
  norm1: string;
  qkv: LinearNames;
  proj: LinearNames;
  norm2: string;
  fc1: LinearNames;
  fc2: LinearNames;
}

/** timm's VisionTransformer Block: `blocks.0.attn.qkv.weight`, `blocks.0.mlp.fc1.bias`, … */
export const TIMM_BLOCK_NAMING: BlockNaming = {
  norm1: 'norm1',
  qkv: linearNames('attn.qkv'),
  proj: linearNames('attn.proj'),
  norm2: 'norm2',
  fc1: linearNames('mlp.fc1'),
  fc2: linearNames('mlp.fc2'),
};

/** open_clip's ResidualAttentionBlock (nn.MultiheadAttention inside): `attn.in_proj_weight`, `mlp.c_fc.weight`, … */
export const OPEN_CLIP_BLOCK_NAMING: BlockNaming = {
  norm1: 'ln_1',
  qkv: { weight: 'attn.in_proj_weight', bias: 'attn.in_proj_bias' },
  proj: linearNames('attn.out_proj'),
  norm2: 'ln_2',
  fc1: linearNames('mlp.c_fc'),
  fc2: linearNames('mlp.c_proj'),
};

/** Standard deviations of the truncated-normal weight initialisation, per linear layer. */
export interface BlockInitStd {
  qkv: number;
  proj: number;
  fc1: number;
  fc2: number;
}

export interface TransformerConfig {
  width: number;
  depth: number;
  heads: number;
  /** Hidden width of the MLP as a multiple of `width` (4 in ViT and CLIP). */
  mlpRatio: number;
  /** LayerNorm epsilon: 1e-6 in timm's ViT, 1e-5 (PyTorch's default) in open_clip. */
  layerNormEps: number;
  /** Mask keys after each query (text). */
  causal: boolean;
  /** Prefix of block i's names: `blocks.${i}` (timm) or `transformer.resblocks.${i}` (open_clip). */
  blockPrefix: (index: number) => string;
  naming: BlockNaming;
  initStd: BlockInitStd;
  /** MLP activation; default 'gelu' (the fused path). 'quick-gelu' (OpenAI CLIP) runs plainPreNormBlock. */
  activation?: MlpActivation;
}

const join = (prefix: string, name: string): string => `${prefix}.${name}`;
const prefixed = (prefix: string, names: LinearNames): LinearNames => ({ weight: join(prefix, names.weight), bias: join(prefix, names.bias) });

/** Pre-LayerNorm transformer block: x + attn(norm1(x)), then + mlp(norm2(x)) with a GELU MLP (see preNormBlock). */
export class TransformerBlock {
  readonly norm1: LayerNorm;
  readonly attn: MultiHeadSelfAttention;
  readonly norm2: LayerNorm;
  readonly fc1: DenseLayer;
  readonly fc2: DenseLayer;

  constructor(
    prefix: string,
    private readonly config: TransformerConfig,
    seeds: ParamSeeds,
  ) {
    const { width, naming, initStd } = config;
    const hidden = Math.round(width * config.mlpRatio);
    this.norm1 = new LayerNorm(join(prefix, naming.norm1), width, config.layerNormEps);
    this.attn = new MultiHeadSelfAttention(
      { qkv: prefixed(prefix, naming.qkv), proj: prefixed(prefix, naming.proj) },
      width,
      config.heads,
      { seeds, qkvStd: initStd.qkv, projStd: initStd.proj },
    );
    this.norm2 = new LayerNorm(join(prefix, naming.norm2), width, config.layerNormEps);
    this.fc1 = new DenseLayer(prefixed(prefix, naming.fc1), width, hidden, { std: initStd.fc1, seeds });
    this.fc2 = new DenseLayer(prefixed(prefix, naming.fc2), hidden, width, { std: initStd.fc2, seeds });
  }

  /** x [B·T, W] (the residual stream, tokens of one sequence contiguous) → [B·T, W]. */
  apply(x: tf.Tensor2D, batch: number, tokens: number): tf.Tensor2D {
    const { norm1, norm2, fc1, fc2, attn, config } = this;
    const params = { norm1, qkv: attn.qkv, proj: attn.proj, norm2, fc1, fc2 };
    const shape = { batch, tokens, heads: config.heads, causal: config.causal };
    if (config.activation && config.activation !== 'gelu') return plainPreNormBlock(x, params, shape, config.activation);
    return preNormBlock(x, params, shape);
  }

  variables(): NamedVariable[] {
    return [
      ...this.norm1.variables(),
      ...this.attn.variables(),
      ...this.norm2.variables(),
      ...this.fc1.variables(),
      ...this.fc2.variables(),
    ];
  }
}

/** A stack of `depth` pre-LN blocks on a residual stream of shape [B·T, W]. */
export class Transformer {
  readonly blocks: TransformerBlock[];

  constructor(
    readonly config: TransformerConfig,
    seeds: ParamSeeds,
  ) {
    if (config.width % config.heads !== 0) {
      throw new RangeError(`transformer width ${config.width} is not divisible by ${config.heads} heads`);
    }
    this.blocks = Array.from({ length: config.depth }, (_, i) => new TransformerBlock(config.blockPrefix(i), config, seeds));
  }

  /**
   * The residual stream between blocks is freed as soon as the next block has read it:
   * no gradient needs it (each block keeps its own normalised copy).
   */
  apply(x: tf.Tensor2D, batch: number, tokens: number): tf.Tensor2D {
    let h = x;
    for (const block of this.blocks) {
      const input = h;
      h = block.apply(input, batch, tokens);
      if (input !== x) input.dispose();
    }
    return h;
  }

  variables(): NamedVariable[] {
    return this.blocks.flatMap((b) => b.variables());
  }
}

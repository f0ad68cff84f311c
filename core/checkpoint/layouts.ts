import type { SafeTensor } from './safetensors';

/**
 * Checkpoint layouts slipkit reads:
 * - `slipkit`: its own names (`visual.<timm ViT name>`, open_clip text names; see DualEncoderModel);
 * - `open_clip`: an open_clip CLIP state dict (`visual.conv1.weight`, `visual.transformer.resblocks.0…`,
 *   `token_embedding.weight`, `text_projection`, `logit_scale`, …);
 * - `timm`: a timm VisionTransformer state dict (`patch_embed.proj.weight`, `blocks.0…`), an image tower only.
 */
export type CheckpointLayout = 'slipkit' | 'open_clip' | 'timm';
export const CHECKPOINT_LAYOUTS: readonly CheckpointLayout[] = ['slipkit', 'open_clip', 'timm'];

/** A source tensor renamed into slipkit's names (PyTorch layout, as slipkit checkpoints store them). */
export interface ConvertedTensor extends SafeTensor {
  /** The name in the source file. */
  source: string;
}

/** The layout a state dict is in, from names only one layout uses. */
export function detectLayout(names: Iterable<string>): CheckpointLayout | undefined {
  const set = new Set(names);
  if (set.has('visual.class_embedding') || set.has('visual.conv1.weight')) return 'open_clip';
  if (set.has('visual.cls_token') || set.has('visual.patch_embed.proj.weight')) return 'slipkit';
  if (set.has('cls_token') || set.has('patch_embed.proj.weight')) return 'timm';
  if (set.has('token_embedding.weight')) return 'open_clip'; // a text tower alone reads the same in both
  return undefined;
}

/** open_clip ResidualAttentionBlock names → timm Block names (what slipkit's ViT uses). */
const OPEN_CLIP_BLOCK_TO_TIMM: ReadonlyArray<[string, string]> = [
  ['ln_1.', 'norm1.'],
  ['attn.in_proj_weight', 'attn.qkv.weight'],
  ['attn.in_proj_bias', 'attn.qkv.bias'],
  ['attn.out_proj.', 'attn.proj.'],
  ['ln_2.', 'norm2.'],
  ['mlp.c_fc.', 'mlp.fc1.'],
  ['mlp.c_proj.', 'mlp.fc2.'],
];

function openClipVisualName(rest: string): string {
  const block = /^transformer\.resblocks\.(\d+)\.(.*)$/.exec(rest);
  if (block) {
    const [, index, inner] = block;
    for (const [from, to] of OPEN_CLIP_BLOCK_TO_TIMM) if (inner.startsWith(from)) return `blocks.${index}.${to}${inner.slice(from.length)}`;
    return `blocks.${index}.${inner}`;
  }
  const simple: Record<string, string> = {
    class_embedding: 'cls_token',
    positional_embedding: 'pos_embed',
    'conv1.weight': 'patch_embed.proj.weight',
    'conv1.bias': 'patch_embed.proj.bias',
    'ln_pre.weight': 'norm_pre.weight',
    'ln_pre.bias': 'norm_pre.bias',
    'ln_post.weight': 'norm.weight',
    'ln_post.bias': 'norm.bias',
  };
  return simple[rest] ?? rest;
}

/** ViT tensors whose slipkit shape differs from the source's only by a reshape. */
function reshapeVisual(name: string, shape: number[]): number[] {
  if (name === 'cls_token' && shape.length === 1) return [1, 1, shape[0]];
  if (name === 'pos_embed' && shape.length === 2) return [1, ...shape];
  if (name === 'patch_embed.proj.weight' && shape.length === 4) return [shape[0], shape[1] * shape[2] * shape[3]]; // conv [W, C, p, p] → [W, C·p·p]
  return shape;
}

/** timm's names inside the `visual.` prefix; fc_norm (its norm after average pooling) is slipkit's `norm`. */
function timmVisualName(name: string): string {
  if (name.startsWith('fc_norm.')) return `norm.${name.slice('fc_norm.'.length)}`;
  return name;
}

/**
 * Which slipkit parameters a layout can hold: a timm checkpoint is an image encoder, without
 * the projection into the joint space (`visual.proj`), which then keeps its initial values.
 */
export function layoutCovers(layout: CheckpointLayout): (name: string) => boolean {
  return layout === 'timm' ? (name) => name.startsWith('visual.') && name !== 'visual.proj' : () => true;
}

/** Buffers that are no parameters (the causal mask some open_clip versions saved). */
const IGNORED = new Set(['attn_mask', 'visual.attn_mask']);

/**
 * Renames (and reshapes, where only the layout differs) every tensor of a state dict into
 * slipkit's names. Tensors whose names slipkit does not know keep a name that matches no
 * parameter, so the import reports them as unexpected.
 */
export function toSlipkitNames(tensors: ReadonlyMap<string, SafeTensor>, layout: CheckpointLayout): Map<string, ConvertedTensor> {
  const out = new Map<string, ConvertedTensor>();
  for (const [source, t] of tensors) {
    if (IGNORED.has(source)) continue;
    let name = source;
    let shape = t.shape;
    if (layout === 'open_clip' && source.startsWith('visual.') && source !== 'visual.proj') {
      const inner = openClipVisualName(source.slice('visual.'.length));
      name = `visual.${inner}`;
      shape = reshapeVisual(inner, t.shape);
    } else if (layout === 'timm') {
      const inner = timmVisualName(source);
      name = `visual.${inner}`;
      shape = reshapeVisual(inner, t.shape);
    } else if (layout === 'slipkit' && source.startsWith('visual.')) {
      shape = reshapeVisual(source.slice('visual.'.length), t.shape);
    } else if (layout === 'slipkit' && /^[^.]+\.logit_scale$/.test(source)) {
      name = 'logit_scale'; // the CLIP objective's (`clip.logit_scale`), open_clip's top-level name
    }
    out.set(name, { ...t, shape, source });
  }
  return out;
}

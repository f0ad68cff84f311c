import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { halfBitsToFloat32 } from '../../../core/checkpoint/half-float';
import { planImport } from '../../../core/checkpoint/import-weights';
import { detectLayout, layoutCovers, toSlipkitNames, type CheckpointLayout } from '../../../core/checkpoint/layouts';
import { decodeSafetensors, type SafeTensor } from '../../../core/checkpoint/safetensors';
import { disposeTrainable, type NamedVariable } from '../../../core/contracts/trainable';
import { DualEncoderModel } from '../../../core/engine/model';
import { ParamSeeds } from '../../../core/nn/param-seeds';
import { Rng } from '../../../core/random';
import { VisionTransformer } from '../../../plugins/image-encoders/vit';
import { TextTransformer } from '../../../plugins/text-encoders/text-transformer';
import { readFixture } from '../../nn/torch-fixture';

/** Names and shapes of open_clip's ViT-B-32 and timm's vit_base_patch32_clip_224 (test/reference/import_models.py). */
const layouts = readFixture<Record<string, Record<string, number[]> | string>>('import', 'vit-b-32-layout.json');
const OPEN_CLIP_B32 = layouts['open_clip ViT-B-32'] as Record<string, number[]>;
const TIMM_B32 = layouts['timm vit_base_patch32_clip_224'] as Record<string, number[]>;

/** A state dict of names and shapes only (the plan never reads values). */
const shapesOnly = (entries: Record<string, number[]>): Map<string, SafeTensor> =>
  new Map(Object.entries(entries).map(([name, shape]) => [name, { dtype: 'F32', shape, data: new Float32Array(0) }]));

/** open_clip ViT-B-32's architecture in slipkit's options; `full` false shrinks widths but keeps every name. */
function b32Model(depth: number, full: boolean): { model: DualEncoderModel; params: NamedVariable[] } {
  const image = new VisionTransformer(
    { imageSize: 224, patchSize: 32, channels: 3, width: full ? 768 : 24, depth, heads: full ? 12 : 2, mlpRatio: 4, lnPre: true, patchBias: false, layerNormEps: 1e-5 },
    new ParamSeeds(0, 'model.image'),
  );
  const text = new TextTransformer(
    { width: full ? 512 : 16, depth, heads: full ? 8 : 2, mlpRatio: 4, contextLength: 77, vocabSize: full ? 49408 : 8 },
    new ParamSeeds(0, 'model.text'),
  );
  const model = new DualEncoderModel(image, text, undefined, full ? 512 : 8, Rng.derive(0, 'model.projections'));
  const logitScale = { name: 'logit_scale', variable: tf.variable(tf.scalar(0)), decay: false };
  return { model, params: [...model.variables(), logitScale] };
}

const dispose = ({ model, params }: { model: DualEncoderModel; params: NamedVariable[] }) => {
  disposeTrainable(model);
  params.at(-1)!.variable.dispose();
};

describe('checkpoint layouts: open_clip and timm names at ViT-B/32 size', function () {
  this.timeout(60_000);

  it('every open_clip ViT-B-32 tensor name maps onto a slipkit parameter (12 blocks per tower), none missing', () => {
    const built = b32Model(12, false);
    try {
      const plan = planImport(built.params, toSlipkitNames(shapesOnly(OPEN_CLIP_B32), 'open_clip'), 'all');
      assert.deepEqual(plan.missing, []);
      assert.deepEqual(plan.unexpected, []);
      // Every name found its parameter: either loaded or (at this shrunken width) mis-shaped.
      assert.equal(plan.loaded.length + plan.misShaped.length, Object.keys(OPEN_CLIP_B32).length);
    } finally {
      dispose(built);
    }
  });

  it('at full width (768 image, 512 text, 49408 tokens) every shape fits: one block per tower, all other tensors', () => {
    const built = b32Model(1, true);
    try {
      const firstBlocks = Object.fromEntries(Object.entries(OPEN_CLIP_B32).filter(([n]) => !/resblocks\.([1-9]|1\d)\./.test(n)));
      const plan = planImport(built.params, toSlipkitNames(shapesOnly(firstBlocks), 'open_clip'), 'all');
      assert.deepEqual(plan.misShaped, []);
      assert.deepEqual(plan.missing, []);
      assert.deepEqual(plan.unexpected, []);
      assert.equal(plan.loaded.length, Object.keys(firstBlocks).length);
    } finally {
      dispose(built);
    }
  });

  it("timm's vit_base_patch32_clip_224 names map onto the image tower, and its shapes fit at full width", () => {
    const named = b32Model(12, false);
    try {
      const plan = planImport(named.params, toSlipkitNames(shapesOnly(TIMM_B32), 'timm'), 'image', layoutCovers('timm'));
      assert.deepEqual(plan.missing, []);
      assert.deepEqual(plan.unexpected, []);
    } finally {
      dispose(named);
    }
    const vit = new VisionTransformer(
      { imageSize: 224, patchSize: 32, channels: 3, width: 768, depth: 1, heads: 12, mlpRatio: 4, lnPre: true, patchBias: false, layerNormEps: 1e-5 },
      new ParamSeeds(0, 'model.image'),
    );
    try {
      const firstBlock = Object.fromEntries(Object.entries(TIMM_B32).filter(([n]) => !/^blocks\.([1-9]|1\d)\./.test(n)));
      const params = vit.variables().map((v) => ({ ...v, name: `visual.${v.name}` }));
      const plan = planImport(params, toSlipkitNames(shapesOnly(firstBlock), 'timm'), 'image', layoutCovers('timm'));
      assert.deepEqual([plan.missing, plan.unexpected, plan.misShaped], [[], [], []]);
    } finally {
      disposeTrainable(vit);
    }
  });

  it('detects the layout from the names', () => {
    const cases: Array<[string[], CheckpointLayout | undefined]> = [
      [Object.keys(OPEN_CLIP_B32), 'open_clip'],
      [Object.keys(TIMM_B32), 'timm'],
      [['visual.cls_token', 'visual.blocks.0.norm1.weight', 'token_embedding.weight'], 'slipkit'],
      [['encoder.layer.0.weight'], undefined],
    ];
    for (const [names, layout] of cases) assert.equal(detectLayout(names), layout, names[0]);
  });

  it('renames open_clip ViT tensors to timm names and reshapes class token, position embedding and conv kernel', () => {
    const out = toSlipkitNames(shapesOnly(OPEN_CLIP_B32), 'open_clip');
    assert.deepEqual(out.get('visual.cls_token')?.shape, [1, 1, 768]);
    assert.deepEqual(out.get('visual.pos_embed')?.shape, [1, 50, 768]);
    assert.deepEqual(out.get('visual.patch_embed.proj.weight')?.shape, [768, 3 * 32 * 32]);
    assert.equal(out.get('visual.blocks.11.attn.qkv.weight')?.source, 'visual.transformer.resblocks.11.attn.in_proj_weight');
    assert.equal(out.get('visual.blocks.3.mlp.fc2.bias')?.source, 'visual.transformer.resblocks.3.mlp.c_proj.bias');
    assert.equal(out.get('visual.norm_pre.weight')?.source, 'visual.ln_pre.weight');
    assert.equal(out.get('visual.norm.bias')?.source, 'visual.ln_post.bias');
    // The text tower's names are slipkit's already.
    assert.equal(out.get('transformer.resblocks.5.attn.in_proj_weight')?.source, 'transformer.resblocks.5.attn.in_proj_weight');
  });
});

describe('safetensors: float16 and bfloat16 tensors', () => {
  it('widens IEEE half and bfloat16 bits to float32 exactly', () => {
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800, 0x0001, 0x7c00, 0x0000, 0x3555]).buffer);
    assert.deepEqual([...halfBitsToFloat32(half, 'F16')], [1, -2, 0.5, 2 ** -24, Infinity, 0, Math.fround(0.333251953125)]);
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc040, 0x3e80]).buffer);
    assert.deepEqual([...halfBitsToFloat32(bf16, 'BF16')], [1, -3, 0.25]);
  });

  it('decodes F16 entries of a file into F32 tensors', () => {
    const header = JSON.stringify({ w: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } });
    const bytes = Buffer.alloc(8 + header.length + 4);
    bytes.writeBigUInt64LE(BigInt(header.length), 0);
    bytes.write(header, 8);
    bytes.writeUInt16LE(0x3c00, 8 + header.length);
    bytes.writeUInt16LE(0xbc00, 8 + header.length + 2);
    const t = decodeSafetensors(bytes).tensors.get('w')!;
    assert.equal(t.dtype, 'F32');
    assert.deepEqual([...t.data], [1, -1]);
  });
});

import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { container } from 'tsyringe';
import { SpecError } from '../../../core/errors';
import { Logger } from '../../../core/logger';
import { ParamSeeds } from '../../../core/nn/param-seeds';
import type { PluginContext } from '../../../core/plugins/define';
import vit, { VIT_PRESETS, VisionTransformer, resolveVitConfig, type VitConfig, type VitOptions } from '../../../plugins/image-encoders/vit';
import { describeOnBackends } from '../../helpers/backends';
import { assertFlatTensorCount } from '../../helpers/memory';
import { decodeArray, gradientErrors, loadTorchParams, maxAbsDiff, readFixture, type EncodedArray } from '../../nn/torch-fixture';
import { withDefaults } from '../../../core/plugins/options';

/** Options as the plugin builder passes them: the schema's defaults filled in. */
const vitOptions = (given: Partial<VitOptions>): VitOptions => withDefaults(vit.schema, given);

interface VitFixture {
  config: VitConfig;
  params: Record<string, EncodedArray>;
  images: EncodedArray;
  pooled: EncodedArray;
  tokens: EncodedArray;
  grads: Record<string, EncodedArray>;
}

function context(overrides: Partial<PluginContext> = {}): PluginContext {
  return {
    container: container.createChildContainer(),
    log: new Logger('silent'),
    seed: 0,
    baseDir: '.',
    path: 'model.image',
    settings: { imageSize: 32, embedDim: 16 },
    build: () => {
      throw new Error('not used');
    },
    ...overrides,
  };
}

describeOnBackends('vit image encoder', () => {
  const fixture = readFixture<VitFixture>('encoders', 'vit.json');
  let model: VisionTransformer;
  let images: tf.Tensor4D;

  before(() => {
    model = new VisionTransformer(fixture.config, new ParamSeeds(0, 'model.image'));
    loadTorchParams(model.variables(), fixture.params);
    images = tf.tensor4d(decodeArray(fixture.images), fixture.images.shape as [number, number, number, number]);
  });

  after(() => {
    for (const v of model.variables()) v.variable.dispose();
    images.dispose();
  });

  it('matches the PyTorch reference: pooled class token and the token sequence (1e-4)', () => {
    const { pooled, tokens } = model.forward(images, { returnTokens: true });
    assert.deepEqual(pooled.shape, [2, 32]);
    assert.deepEqual(tokens?.shape, [2, 17, 32]);
    assert.ok(maxAbsDiff(pooled, decodeArray(fixture.pooled)) < 1e-4);
    assert.ok(maxAbsDiff(tokens!, decodeArray(fixture.tokens)) < 1e-4);
    const pooledOnly = model.forward(images);
    assert.equal(pooledOnly.tokens, undefined);
    assert.ok(maxAbsDiff(pooledOnly.pooled, decodeArray(fixture.pooled)) < 1e-4, 'pooled without tokens');
    tf.dispose([pooled, tokens, pooledOnly.pooled]);
  });

  it('matches PyTorch gradients of sum(pooled²) (1e-4 relative), through the custom-gradient layers', () => {
    const errors = gradientErrors(model.variables(), () => tf.sum(tf.square(model.forward(images).pooled)), fixture.grads);
    for (const [name, error] of Object.entries(errors)) assert.ok(error < 1e-4, `${name}: relative error ${error}`);
  });

  it('keeps the tensor count flat over repeated forward + backward', async () => {
    const vars = model.variables().map((v) => v.variable);
    await assertFlatTensorCount(4, () => {
      const { value, grads } = tf.variableGrads(() => {
        const { pooled, tokens } = model.forward(images, { returnTokens: true });
        return tf.add(tf.sum(tf.square(pooled)), tf.mean(tokens!));
      }, vars);
      tf.dispose([value, grads]);
    });
  });

  it('names parameters as timm does and excludes biases, norms and embeddings from decay', () => {
    const vars = model.variables();
    const byName = new Map(vars.map((v) => [v.name, v]));
    assert.equal(byName.size, vars.length, 'names are unique');
    assert.deepEqual(byName.get('blocks.1.attn.qkv.weight')?.variable.shape, [32, 96]);
    assert.equal(byName.get('blocks.1.attn.qkv.weight')?.transposeForTorch, true);
    assert.deepEqual(byName.get('patch_embed.proj.weight')?.variable.shape, [48, 32]);
    const noDecay = vars.filter((v) => !v.decay).map((v) => v.name);
    for (const name of noDecay) assert.match(name, /(\.bias|norm\d?\.weight|^norm\.weight|cls_token|pos_embed)$/);
    assert.ok(noDecay.includes('cls_token') && noDecay.includes('pos_embed') && noDecay.includes('blocks.0.norm1.weight'));
    assert.deepEqual(
      vars.filter((v) => v.decay).map((v) => v.name).sort(),
      vars.filter((v) => v.name.endsWith('.weight') && !/norm/.test(v.name)).map((v) => v.name).sort(),
    );
  });
});

describe('vit plugin', () => {
  it('builds a preset with defaults from the context, overridable option by option', () => {
    const encoder = vit.create!(vitOptions({ preset: 'small', patchSize: 8, depth: 1 }), context()) as VisionTransformer;
    assert.equal(encoder.imageSize, 32);
    assert.equal(encoder.featureDim, VIT_PRESETS.small.width);
    assert.equal(encoder.config.heads, VIT_PRESETS.small.heads);
    assert.equal(encoder.transformer.blocks.length, 1);
    assert.deepEqual(encoder.posEmbed.shape, [1, 17, 384]);
    const out = encoder.forward(tf.zeros([2, 32, 32, 3]) as tf.Tensor4D);
    assert.deepEqual(out.pooled.shape, [2, 384]);
    out.pooled.dispose();
    for (const v of encoder.variables()) v.variable.dispose();
  });

  it('resolves the presets and defaults', () => {
    // timm's plain ViT unless an option asks for open_clip's variants (see vit-variants.ts).
    const timmDefaults = { lnPre: false, patchBias: true, layerNormEps: 1e-6, activation: 'gelu', pool: 'token', poolNorm: 'tokens' };
    assert.deepEqual(resolveVitConfig(vitOptions({}), 224), { imageSize: 224, patchSize: 16, channels: 3, width: 192, depth: 12, heads: 3, mlpRatio: 4, ...timmDefaults });
    assert.deepEqual(resolveVitConfig(vitOptions({ preset: 'large' }), 224), { imageSize: 224, patchSize: 16, channels: 3, width: 1024, depth: 24, heads: 16, mlpRatio: 4, ...timmDefaults });
    assert.deepEqual(resolveVitConfig(vitOptions({ lnPre: true, patchBias: false, layerNormEps: 1e-5, activation: 'quick-gelu', pool: 'avg', poolNorm: 'pooled' }), 224), {
      imageSize: 224, patchSize: 16, channels: 3, width: 192, depth: 12, heads: 3, mlpRatio: 4,
      lnPre: true, patchBias: false, layerNormEps: 1e-5, activation: 'quick-gelu', pool: 'avg', poolNorm: 'pooled',
    });
    assert.equal(resolveVitConfig(vitOptions({ preset: 'base', width: 96, imageSize: 64 }), 224).width, 96);
  });

  it('reports sizes that do not fit together at the option spec path', () => {
    assert.throws(() => resolveVitConfig(vitOptions({ patchSize: 7 }), 64, 'model.image'), (err: unknown) => {
      assert.ok(err instanceof SpecError);
      assert.match(err.message, /model\.image\.patchSize: must divide the image size 64 \(got 7\)/);
      return true;
    });
    assert.throws(() => resolveVitConfig(vitOptions({ width: 100, heads: 3 }), 64), /model\.image\.heads/);
  });

  it('rejects images whose side is not a multiple of the patch size, or with other channels', () => {
    const encoder = new VisionTransformer(resolveVitConfig(vitOptions({ width: 8, depth: 1, heads: 2, patchSize: 4 }), 8), new ParamSeeds(0, 'x'));
    assert.throws(() => encoder.forward(tf.zeros([1, 10, 10, 3]) as tf.Tensor4D), /vit expects images \[B, H, W, 3\] with H and W multiples of the patch size 4 \(model size 8\), got \[1, 10, 10, 3\]/);
    assert.throws(() => encoder.forward(tf.zeros([1, 8, 8, 1]) as tf.Tensor4D), /got \[1, 8, 8, 1\]/);
    for (const v of encoder.variables()) v.variable.dispose();
  });

  it('initialises from the seed and spec path: same seed same weights, another seed other weights', () => {
    const config = resolveVitConfig(vitOptions({ width: 8, depth: 1, heads: 2, patchSize: 4 }), 8);
    const values = (seed: number) => {
      const encoder = new VisionTransformer(config, new ParamSeeds(seed, 'model.image'));
      const flat = encoder.variables().map((v) => Array.from(v.variable.dataSync()));
      for (const v of encoder.variables()) v.variable.dispose();
      return flat;
    };
    assert.deepEqual(values(3), values(3));
    assert.notDeepEqual(values(3), values(4));
  });
});

describe('vit variants: parameters each option adds or removes', () => {
  const config = { imageSize: 16, patchSize: 8, channels: 3, width: 8, depth: 1, heads: 2, mlpRatio: 2 };
  const names = (extra: Partial<VitConfig>) => {
    const model = new VisionTransformer({ ...config, ...extra }, new ParamSeeds(0, 'model.image'));
    const out = model.variables().map((v) => v.name);
    for (const v of model.variables()) v.variable.dispose();
    return out;
  };

  it('lnPre adds norm_pre.{weight,bias}; patchBias false drops patch_embed.proj.bias', () => {
    const plain = names({});
    assert.ok(!plain.includes('norm_pre.weight') && plain.includes('patch_embed.proj.bias'));
    const openClip = names({ lnPre: true, patchBias: false });
    assert.deepEqual(openClip.filter((n) => !plain.includes(n)), ['norm_pre.weight', 'norm_pre.bias']);
    assert.deepEqual(plain.filter((n) => !openClip.includes(n)), ['patch_embed.proj.bias']);
  });

  it("pool 'avg' averages the patch tokens, not the class token", () => {
    const model = new VisionTransformer({ ...config, pool: 'avg', poolNorm: 'tokens' }, new ParamSeeds(0, 'model.image'));
    try {
      tf.tidy(() => {
        const images = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
        const { pooled, tokens } = model.forward(images, { returnTokens: true });
        const patchMean = tf.mean(tf.slice(tokens!, [0, 1, 0], [2, 4, 8]), 1);
        assert.ok(tf.max(tf.abs(tf.sub(pooled, patchMean))).dataSync()[0] < 1e-6);
        assert.ok(tf.max(tf.abs(tf.sub(pooled, tf.mean(tokens!, 1)))).dataSync()[0] > 1e-4);
      });
    } finally {
      for (const v of model.variables()) v.variable.dispose();
    }
  });
});

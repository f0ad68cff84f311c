import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SpecError } from '../../../core/errors';
import { buildExperiment, type Experiment } from '../../../core/engine/experiment';
import { applyModelInit } from '../../../core/engine/model-init';
import { l2Normalize } from '../../../core/nn/l2-normalize';
import { ParamSeeds } from '../../../core/nn/param-seeds';
import { resolveExperiment } from '../../../core/spec/resolve';
import { disposeTrainable } from '../../../core/contracts/trainable';
import { zeroShotClassEmbeddings } from '../../../plugins/evaluators/maths/class-embeddings';
import { VisionTransformer } from '../../../plugins/image-encoders/vit';
import { fixturePath } from '../../helpers/paths';
import { builtinRegistry, quietLog, tempDir } from '../../helpers/runs';
import { decodeArray, readFixture, type EncodedArray } from '../../nn/torch-fixture';

/** Outputs the real open_clip / timm models gave (test/reference/import_models.py). */
interface OpenClipFixture {
  embedDim: number;
  text: { width: number; heads: number; layers: number; context_length: number };
  images: EncodedArray;
  captions: string[];
  captionIds: number[][];
  classes: string[];
  templates: string[];
  logitScale: number;
  configs: Record<
    string,
    {
      quickGelu: boolean;
      vision: { image_size: number; patch_size: number; width: number; layers: number; head_width: number; pool_type?: string; final_ln_after_pool?: boolean };
      imageEmbeddings: EncodedArray;
      textEmbeddings: EncodedArray;
      zeroShotLogits: EncodedArray;
    }
  >;
}

interface TimmFixture {
  images: EncodedArray;
  models: Record<string, { pooled: EncodedArray }>;
}

const TOLERANCE = 1e-4;
const openClip = readFixture<OpenClipFixture>('import', 'open-clip-tiny.json');
const OPEN_CLIP_FILE = fixturePath('import', 'open-clip-tiny.safetensors');

function maxDiff(actual: tf.Tensor, expected: EncodedArray): number {
  assert.deepEqual(actual.shape, expected.shape);
  const a = actual.dataSync();
  const e = decodeArray(expected);
  let worst = 0;
  for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]));
  return worst;
}

/** A slipkit spec that describes one open_clip configuration, initialised from the fixture checkpoint. */
function openClipSpec(configName: string, init: Record<string, unknown> = {}): Record<string, unknown> {
  const c = openClip.configs[configName];
  const activation = c.quickGelu ? 'quick-gelu' : 'gelu';
  return {
    name: `open-clip-${configName}`,
    backend: 'cpu',
    data: {
      train: { type: 'synthetic-shapes', count: 4, size: 32 },
      tokenizer: { type: 'clip-bpe' },
      imageSize: c.vision.image_size,
      workers: 0,
    },
    model: {
      image: {
        type: 'vit',
        patchSize: c.vision.patch_size,
        width: c.vision.width,
        depth: c.vision.layers,
        heads: c.vision.width / c.vision.head_width,
        lnPre: true,
        patchBias: false,
        layerNormEps: 1e-5,
        activation,
        pool: c.vision.pool_type === 'avg' ? 'avg' : 'token',
        poolNorm: c.vision.final_ln_after_pool ? 'pooled' : 'tokens',
      },
      text: { type: 'text-transformer', width: openClip.text.width, depth: openClip.text.layers, heads: openClip.text.heads, activation },
      embedDim: openClip.embedDim,
      init: { path: OPEN_CLIP_FILE, ...init },
    },
    views: { clip: [{ type: 'normalize' }] },
    objectives: [{ type: 'clip' }],
    train: { steps: 1, batchSize: 2 },
    eval: [{ type: 'zero-shot', dataset: { type: 'synthetic-shapes', count: 8, size: 32 }, batchSize: 8 }],
  };
}

async function build(spec: Record<string, unknown>, dir: string): Promise<Experiment> {
  const file = path.join(dir, `${String(spec.name)}.json`);
  fs.writeFileSync(file, JSON.stringify(spec));
  return buildExperiment(resolveExperiment(file, builtinRegistry()), builtinRegistry(), quietLog, { withTracker: false });
}

function disposeExperiment(exp: Experiment): void {
  disposeTrainable(exp.model);
  for (const s of exp.slots) disposeTrainable(s.objective);
}

describe('model.init: open_clip checkpoints (fixtures from open_clip_torch)', function () {
  this.timeout(60_000);
  let dir: string;
  const worst = { image: 0, text: 0, logits: 0 };
  before(() => {
    dir = tempDir('model-init');
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    // The largest differences over every configuration, for the record (README, "Importing models").
    process.stdout.write(`      largest |slipkit - open_clip|: image ${worst.image.toExponential(2)}, text ${worst.text.toExponential(2)}, zero-shot logits ${worst.logits.toExponential(2)}\n`);
  });

  for (const configName of Object.keys(openClip.configs)) {
    it(`${configName}: image and text embeddings and zero-shot logits match open_clip (1e-4)`, async () => {
      const expected = openClip.configs[configName];
      const exp = await build(openClipSpec(configName), dir);
      try {
        const before = tf.memory().numTensors;
        const model = exp.model;
        // The same token ids as open_clip's tokenizer.
        const tokens = model.tokenizer!.encode(openClip.captions);
        for (let row = 0; row < openClip.captions.length; row++) {
          assert.deepEqual([...tokens.ids.subarray(row * 77, row * 77 + 77)], openClip.captionIds[row], `ids of "${openClip.captions[row]}"`);
        }
        // logit_scale lands in the clip objective.
        const logScale = exp.slots[0].objective.variables().find((v) => v.name === 'logit_scale')!.variable;
        assert.ok(Math.abs(Math.exp(logScale.dataSync()[0]) - openClip.logitScale) < 1e-3 * openClip.logitScale);

        tf.tidy(() => {
          const images = tf.tensor4d(decodeArray(openClip.images), openClip.images.shape as [number, number, number, number]);
          const image = model.projectImage(model.image.forward(images).pooled);
          const text = model.projectText(model.encodeTexts(openClip.captions));
          const classes = zeroShotClassEmbeddings((t) => model.projectText(model.encodeTexts(t)), openClip.classes, openClip.templates, 64);
          const logits = tf.mul(tf.matMul(l2Normalize(image), classes, false, true), openClip.logitScale);
          const d = { image: maxDiff(image, expected.imageEmbeddings), text: maxDiff(text, expected.textEmbeddings), logits: maxDiff(logits, expected.zeroShotLogits) };
          worst.image = Math.max(worst.image, d.image);
          worst.text = Math.max(worst.text, d.text);
          worst.logits = Math.max(worst.logits, d.logits);
          assert.ok(d.image < TOLERANCE, `image embeddings differ by ${d.image}`);
          assert.ok(d.text < TOLERANCE, `text embeddings differ by ${d.text}`);
          assert.ok(d.logits < TOLERANCE * 100, `zero-shot logits differ by ${d.logits}`);
          // The same ranking of classes per image.
          const e = decodeArray(expected.zeroShotLogits);
          const k = openClip.classes.length;
          const got = logits.arraySync() as number[][];
          got.forEach((row, i) => assert.equal(row.indexOf(Math.max(...row)), [...e.subarray(i * k, i * k + k)].indexOf(Math.max(...e.subarray(i * k, i * k + k)))));
        });
        assert.equal(tf.memory().numTensors, before);
      } finally {
        disposeExperiment(exp);
      }
    });
  }

  it('strict mode refuses the checkpoint, naming every missing, unexpected and mis-shaped tensor', async () => {
    const spec = openClipSpec('gelu-token');
    const model = spec.model as { image: Record<string, unknown>; text: Record<string, unknown> };
    model.image.lnPre = false; // the checkpoint has visual.ln_pre.*: unexpected
    model.image.patchBias = true; // the model has a patch bias the checkpoint lacks: missing
    model.text.width = 16; // every text tensor mis-shaped
    model.text.heads = 2;
    await assert.rejects(build(spec, dir), (err: unknown) => {
      assert.ok(err instanceof SpecError, String(err));
      const text = err.message;
      assert.match(text, /missing \(1\): visual\.patch_embed\.proj\.bias/);
      assert.match(text, /unexpected \(2\): visual\.ln_pre\.weight, visual\.ln_pre\.bias|unexpected \(2\): visual\.ln_pre\.bias, visual\.ln_pre\.weight/);
      assert.match(text, /mis-shaped \(\d+\): .*token_embedding\.weight \[49408,8\] \(model token_embedding\.weight expects \[49408,16\]\)/);
      assert.match(text, /model\.init/);
      return true;
    });
  });

  it('partial mode with tower "image" loads the image tower only and reports the rest', async () => {
    const spec = openClipSpec('gelu-token', { tower: 'image', strict: false });
    (spec.model as { text: Record<string, unknown> }).text.width = 16; // would not fit, but the text tower is not asked for
    const exp = await build(spec, dir);
    try {
      const params = [...exp.model.variables(), ...exp.slots[0].objective.variables()];
      const report = applyModelInit((exp.spec.model.init)!, params, exp.baseDir, quietLog);
      assert.ok(report.loaded.length > 0 && report.loaded.every((n) => n.startsWith('visual.')));
      assert.deepEqual(report.missing, []);
      assert.deepEqual(report.unexpected, []);
      assert.ok(report.skipped.includes('token_embedding.weight') && report.skipped.includes('logit_scale'));
      // The image tower holds the checkpoint's values: class token and the projection.
      const cls = exp.model.variables().find((v) => v.name === 'visual.cls_token')!.variable.dataSync();
      const img = tf.tidy(() => exp.model.projectImage(exp.model.image.forward(tf.tensor4d(decodeArray(openClip.images), openClip.images.shape as [number, number, number, number])).pooled));
      assert.ok(maxDiff(img, openClip.configs['gelu-token'].imageEmbeddings) < TOLERANCE);
      assert.equal(cls.length, 32);
      img.dispose();
    } finally {
      disposeExperiment(exp);
    }
  });

  it('slipkit eval evaluates the imported checkpoint zero-shot with no training step', async () => {
    const { main } = await import('../../../core/cli/main');
    const { builtinPlugins } = await import('../../../plugins/index');
    const { makeCliContext } = await import('../../../core/cli/context');
    const { captureStream } = await import('../../helpers/runs');
    const file = path.join(dir, 'eval-spec.json');
    fs.writeFileSync(file, JSON.stringify(openClipSpec('quickgelu-token')));
    const ctx = makeCliContext(builtinPlugins);
    const out = captureStream();
    const err = captureStream();
    Object.assign(ctx, { stdout: out, stderr: err });
    const code = await main(['node', 'slipkit', '-q', 'eval', file], builtinPlugins, ctx);
    assert.equal(code, 0, err.text());
    assert.match(out.text(), /^zero-shot\/top1 \d+\.\d{4}$/m);
    assert.equal(fs.existsSync(path.join(dir, 'runs')), false);
  });
});

describe('model.init: timm VisionTransformer checkpoints (fixtures from timm)', () => {
  const timm = readFixture<TimmFixture>('import', 'timm.json');
  const base = { imageSize: 32, patchSize: 8, channels: 3, width: 32, depth: 2, heads: 2, mlpRatio: 4 };
  const configs = {
    plain: base,
    'clip-style': { ...base, lnPre: true, patchBias: false, layerNormEps: 1e-5 },
    'avg-fc-norm': { ...base, pool: 'avg' as const, poolNorm: 'pooled' as const },
  };
  let worst = 0;
  after(() => process.stdout.write(`      largest |slipkit - timm|: pooled features ${worst.toExponential(2)}\n`));
  for (const [name, config] of Object.entries(configs)) {
    it(`${name}: pooled features match timm (1e-4), names mapped from timm's layout`, () => {
      const vit = new VisionTransformer(config, new ParamSeeds(0, 'model.image'));
      try {
        const params = vit.variables().map((v) => ({ ...v, name: `visual.${v.name}` }));
        const report = applyModelInit({ path: fixturePath('import', `timm-${name}.safetensors`), layout: 'auto', tower: 'all', strict: true }, params, '.', quietLog);
        assert.equal(report.layout, 'timm');
        assert.equal(report.loaded.length, params.length);
        const d = tf.tidy(() => {
          const images = tf.tensor4d(decodeArray(timm.images), timm.images.shape as [number, number, number, number]);
          return maxDiff(vit.forward(images).pooled, timm.models[name].pooled);
        });
        worst = Math.max(worst, d);
        assert.ok(d < TOLERANCE, `pooled features differ by ${d}`);
      } finally {
        disposeTrainable(vit);
      }
    });
  }
});

describe("model.init: slipkit's own checkpoints", function () {
  this.timeout(60_000);
  it('initialises the image tower from a slipkit checkpoint directory (layout auto), leaving objective heads and the text tower alone', async () => {
    const { saveUntrainedCheckpoint } = await import('../../helpers/random-checkpoint');
    const fixtureSpec = fixturePath('specs', 'tiny-slip.json');
    const dir = tempDir('model-init-slipkit');
    try {
      const ckpt = await saveUntrainedCheckpoint(fixtureSpec, path.join(dir, 'run'));
      // The same architecture under another seed: different initial weights until model.init.
      const spec = JSON.parse(fs.readFileSync(fixtureSpec, 'utf8')) as { model: Record<string, unknown> };
      spec.model.init = { path: ckpt, tower: 'image' };
      const exp = await build({ ...spec, name: 'from-slipkit', seed: 99 }, dir);
      try {
        const { readSafetensors } = await import('../../../core/checkpoint/safetensors');
        const saved = readSafetensors(path.join(ckpt, 'model.safetensors')).tensors;
        const value = (name: string) => [...exp.model.variables().find((v) => v.name === name)!.variable.dataSync()];
        assert.deepEqual(value('visual.blocks.1.norm1.weight'), [...saved.get('visual.blocks.1.norm1.weight')!.data]);
        assert.deepEqual(value('visual.proj'), [...saved.get('visual.proj')!.data]);
        assert.notDeepEqual(value('text_projection'), [...saved.get('text_projection')!.data]);
        const report = applyModelInit({ path: ckpt, layout: 'auto', tower: 'all', strict: true }, [...exp.model.variables(), ...exp.slots[0].objective.variables()], dir, quietLog);
        assert.equal(report.layout, 'slipkit');
        assert.ok(report.loaded.includes('logit_scale') && report.loaded.includes('text_projection'));
        assert.ok(report.skipped.some((n) => n.startsWith('simclr.')));
        assert.deepEqual(value('text_projection'), [...saved.get('text_projection')!.data]);
      } finally {
        disposeExperiment(exp);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { disposeTrainable } from '../../../core/contracts/trainable';
import { loadTrainedExperiment } from '../../../core/engine/eval-checkpoint';
import type { WebModelConfig, WebTokenizerData } from '../../../plugins/web-export/app/model-config';
import { classEmbeddings, l2Normalize, WebClipModel } from '../../../plugins/web-export/app/model';
import { WebClipTokenizer } from '../../../plugins/web-export/app/tokenizer';
import { writeWebModel } from '../../../plugins/web-export/export-model';
import { fixturePath } from '../../helpers/paths';
import { builtinRegistry, quietLog, tempDir } from '../../helpers/runs';
import { decodeArray, readFixture, type EncodedArray } from '../../nn/torch-fixture';

/** The open_clip outputs of test/reference/import_models.py. */
interface OpenClipFixture {
  embedDim: number;
  text: { width: number; heads: number; layers: number };
  images: EncodedArray;
  captions: string[];
  classes: string[];
  templates: string[];
  configs: Record<string, { quickGelu: boolean; vision: { pool_type?: string; final_ln_after_pool?: boolean }; imageEmbeddings: EncodedArray; textEmbeddings: EncodedArray; zeroShotLogits: EncodedArray; }>;
}

const fixture = readFixture<OpenClipFixture>('import', 'open-clip-tiny.json');

function maxDiff(actual: tf.Tensor, expected: EncodedArray): number {
  assert.deepEqual(actual.shape, expected.shape);
  const a = actual.dataSync();
  return decodeArray(expected).reduce((worst, e, i) => Math.max(worst, Math.abs(a[i] - e)), 0);
}

/**
 * The page's model code (plugins/web-export/app/model.ts) run in Node on what `slipkit export`
 * writes for an imported open_clip checkpoint: every architecture variant the page supports
 * (ln_pre, no patch bias, QuickGELU, average pooling) against open_clip's own outputs.
 */
describe('web page model on exported open_clip checkpoints (the variants the browser test does not reach)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = tempDir('web-model')));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [name, c] of Object.entries(fixture.configs)) {
    it(`${name}: the page's image and text embeddings and zero-shot logits match open_clip (1e-4)`, async () => {
      const activation = c.quickGelu ? 'quick-gelu' : 'gelu';
      const spec = {
        name,
        backend: 'cpu',
        data: { train: { type: 'synthetic-shapes', count: 4, size: 32 }, tokenizer: { type: 'clip-bpe' }, imageSize: 32, workers: 0 },
        model: {
          image: {
            type: 'vit', patchSize: 8, width: 32, depth: 2, heads: 2, lnPre: true, patchBias: false, layerNormEps: 1e-5, activation,
            pool: c.vision.pool_type === 'avg' ? 'avg' : 'token', poolNorm: c.vision.final_ln_after_pool ? 'pooled' : 'tokens',
          },
          text: { type: 'text-transformer', width: fixture.text.width, depth: fixture.text.layers, heads: fixture.text.heads, activation },
          embedDim: fixture.embedDim,
          init: { path: fixturePath('import', 'open-clip-tiny.safetensors') },
        },
        views: { eval: [{ type: 'normalize', preset: 'clip' }] },
        objectives: [{ type: 'clip', views: ['eval'] }],
        train: { steps: 1, batchSize: 2 },
      };
      const specFile = path.join(dir, `${name}.json`);
      fs.writeFileSync(specFile, JSON.stringify(spec));
      const { exp, step } = await loadTrainedExperiment(specFile, builtinRegistry(), quietLog);
      const out = path.join(dir, name);
      let config: WebModelConfig;
      try {
        config = writeWebModel(exp, step, out);
      } finally {
        disposeTrainable(exp.model);
        for (const s of exp.slots) disposeTrainable(s.objective);
      }
      assert.deepEqual(config.normalize.mean.map((m) => Math.round(m * 1e6) / 1e6), [0.481455, 0.457828, 0.408211]);
      const weights = tf.io.decodeWeights(new Uint8Array(fs.readFileSync(path.join(out, 'weights.bin'))).buffer, config.weightsManifest[0].weights);
      const tokenizer = new WebClipTokenizer(JSON.parse(fs.readFileSync(path.join(out, config.tokenizer.file), 'utf8')) as WebTokenizerData, config.tokenizer.contextLength);
      const model = new WebClipModel(config, weights);
      try {
        tf.tidy(() => {
          const image = model.embedImages(tf.tensor4d(decodeArray(fixture.images), fixture.images.shape as [number, number, number, number]));
          const captions = tokenizer.encode(fixture.captions);
          const text = model.embedTokens(captions.ids, captions.eot, fixture.captions.length);
          const prompts = fixture.classes.flatMap((cls) => fixture.templates.map((t) => t.replace('{}', cls)));
          const p = tokenizer.encode(prompts);
          const classes = classEmbeddings(model.embedTokens(p.ids, p.eot, prompts.length), fixture.classes.length, fixture.templates.length);
          const logits = tf.mul(tf.matMul(l2Normalize(image), classes, false, true), config.logitScale);
          const d = [maxDiff(image, c.imageEmbeddings), maxDiff(text, c.textEmbeddings), maxDiff(logits, c.zeroShotLogits)];
          assert.ok(d[0] < 1e-4 && d[1] < 1e-4 && d[2] < 1e-2, `differences image ${d[0]}, text ${d[1]}, logits ${d[2]}`);
        });
      } finally {
        tf.dispose(Object.values(weights));
      }
    });
  }
});

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { container } from 'tsyringe';
import type { Dataset, Sample } from '../../../core/contracts/dataset';
import type { Evaluator } from '../../../core/contracts/evaluator';
import { PluginBuilder } from '../../../core/plugins/builder';
import type { PluginBlock } from '../../../core/plugins/define';
import { SpecValidator } from '../../../core/spec/validate';
import { assertFlatTensorCount } from '../../helpers/memory';
import { builtinRegistry, specPath } from '../../helpers/runs';
import { evalContext, quietLog } from './helpers/build-evaluator';
import { dot, negSquaredDistances, rankOf, topK, unit } from './helpers/expected';
import { FakeEvalModel, PixelEncoder, fakeTextVector, pixelCentroids } from './helpers/fake-eval-model';

/** The first `n` samples of a dataset in the given order. */
async function firstSamples(dataset: Dataset, n: number, shuffle: boolean): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of dataset.samples({ seed: 0, epoch: 0, shuffle })) {
    out.push(s);
    if (out.length === n) break;
  }
  return out;
}

/** First channel of a raw-pixel sample, as grey bytes. */
function firstChannel(sample: Sample): Uint8Array {
  if (sample.image.kind !== 'pixels') throw new Error('expected raw pixels');
  const { pixels, channels } = sample.image;
  return channels === 1 ? pixels : pixels.filter((_, j) => j % channels === 0);
}

/**
 * The evaluators inside a whole spec: validated with the composed schema (their dataset
 * slots take the built-in dataset plugins), built by the PluginBuilder, and run on the
 * real `mnist` (npm IDX files) and `synthetic-shapes` datasets with a fake model.
 */
describe('evaluators with the built-in dataset plugins', () => {
  const registry = builtinRegistry();
  const evalBlocks: PluginBlock[] = [
    { type: 'zero-shot', dataset: { type: 'mnist', split: 'test' }, limit: 60, batchSize: 25, workers: 0 },
    { type: 'knn', name: 'knn-mnist', dataset: { type: 'mnist', split: 'test' }, trainDataset: { type: 'mnist', split: 'train', limit: 300 }, limit: 30, workers: 0 },
    { type: 'linear-probe', dataset: { type: 'synthetic-shapes', count: 40, size: 16, seed: 1 }, trainDataset: { type: 'synthetic-shapes', count: 60, size: 16 }, weightDecays: [1e-3, 1e-1], maxIterations: 100 },
    { type: 'retrieval', dataset: { type: 'synthetic-shapes', count: 50, size: 16, seed: 2 }, batchSize: 16, workers: 0 },
    { type: 'finetune', dataset: { type: 'mnist', split: 'test' }, trainDataset: { type: 'mnist', split: 'train' }, steps: 2 },
  ];
  let evaluators: Evaluator[];
  let resolved: PluginBlock[];
  let builder: PluginBuilder;
  const dataset = (block: PluginBlock): Dataset => builder.build('dataset', block, 'test');

  before(() => {
    const spec = JSON.parse(fs.readFileSync(specPath('tiny-slip.json'), 'utf8')) as Record<string, unknown>;
    spec.eval = structuredClone(evalBlocks);
    resolved = new SpecValidator(registry).validate(spec).eval;
    builder = new PluginBuilder({ registry, container, log: quietLog, seed: 0, baseDir: process.cwd(), settings: { imageSize: 28, embedDim: 10 } });
    evaluators = resolved.map((block, i) => builder.build('evaluator', block, `eval[${i}]`));
  });

  it('validate inside a spec, with every default filled', () => {
    assert.equal(resolved[0].batchSize, 25);
    assert.deepEqual(resolved[0].topK, [1, 5]);
    assert.equal(resolved[1].k, 20);
    assert.equal(resolved[1].temperature, 0.07);
    assert.equal(resolved[2].validationFraction, 0.2);
    assert.deepEqual(resolved[3].recallAt, [1, 5, 10]);
    assert.equal(resolved[4].trainBatchSize, 64);
    assert.equal((resolved[0].dataset as PluginBlock).split, 'test');
  });

  it('rejects a bad option inside a spec with its JSON path', () => {
    const spec = JSON.parse(fs.readFileSync(specPath('tiny-slip.json'), 'utf8')) as Record<string, unknown>;
    spec.eval = [{ type: 'knn', dataset: { type: 'mnist' }, trainDataset: { type: 'mnist' }, temperature: 0 }];
    const issues = new SpecValidator(registry).issues(spec as never);
    assert.deepEqual(issues, [{ path: 'eval[0].temperature', message: 'must be > 0, got 0' }]);
  });

  it('zero-shot on mnist: the dataset\'s spelled-out class names and templates, equal to a plain nearest-centroid computation', async () => {
    const mnistTrain = dataset({ type: 'mnist', split: 'train', limit: 1000 });
    const mnistTest = dataset({ type: 'mnist', split: 'test' });
    const classWords = mnistTest.classNames!;
    const trainSamples = await firstSamples(mnistTrain, 1000, false);
    const centroids = pixelCentroids(trainSamples.map(firstChannel), trainSamples.map((s) => s.label!));
    const model = new FakeEvalModel(new PixelEncoder(28), { centroids, classWords });
    const metrics = await evaluators[0].evaluate(model, evalContext);

    const scored = await firstSamples(mnistTest, 60, true); // `limit`: the first 60 of the seed-0 shuffle
    const ranks = scored.map((s) => rankOf(negSquaredDistances(Array.from(firstChannel(s), (p) => p / 255), centroids), s.label!));
    assert.deepEqual(metrics, { top1: topK(ranks, 1), top5: topK(ranks, 5) });
    assert.deepEqual(model.calls.imageEmbedding, [25, 25, 10]);
    model.dispose();
  });

  it('knn on mnist and linear-probe on synthetic-shapes report their metrics', async () => {
    const mnistModel = new FakeEvalModel(new PixelEncoder(28));
    const knn = await evaluators[1].evaluate(mnistModel, evalContext);
    assert.deepEqual(Object.keys(knn), ['top1', 'top5']);
    assert.ok(knn.top1 > 0.5, `pixel kNN top-1 ${knn.top1}`);
    const shapesModel = new FakeEvalModel(new PixelEncoder(16));
    const probe = await evaluators[2].evaluate(shapesModel, { ...evalContext, seed: 4 });
    assert.deepEqual(Object.keys(probe).sort(), ['top1', 'top5', 'val_top1', 'weight_decay']);
    assert.ok(probe.top1 >= 0 && probe.top1 <= 1 && probe.top5 === 1, '3 classes: top-5 is always a hit');
  });

  it('retrieval on synthetic-shapes pairs images with their first caption, equal to a plain computation, with a flat tensor count', async () => {
    const shapes = dataset({ type: 'synthetic-shapes', count: 50, size: 16, seed: 2 });
    const samples = await firstSamples(shapes, 50, false);
    const classWords = shapes.classNames!;
    const centroids = pixelCentroids(samples.map(firstChannel), samples.map((s) => s.label!), classWords.length);
    const model = new FakeEvalModel(new PixelEncoder(16), { centroids, classWords, textNoise: 0.3 });
    let metrics: Record<string, number> = {};
    await assertFlatTensorCount(2, async () => {
      metrics = await evaluators[3].evaluate(model, evalContext);
    });
    const images = samples.map((s) => unit(negSquaredDistances(Array.from(firstChannel(s), (p) => p / 255), centroids)));
    const texts = samples.map((s) => unit(fakeTextVector(s.captions![0], classWords, 0.3)));
    const i2t = images.map((img, q) => rankOf(texts.map((t) => dot(img, t)), q));
    const t2i = texts.map((txt, q) => rankOf(images.map((img) => dot(img, txt)), q));
    for (const k of [1, 5, 10]) {
      assert.equal(metrics[`image_to_text_r${k}`], topK(i2t, k));
      assert.equal(metrics[`text_to_image_r${k}`], topK(t2i, k));
    }
    model.dispose();
  });
});

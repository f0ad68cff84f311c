import * as tf from '@tensorflow/tfjs';
import { ClassificationTally } from '../../../../plugins/evaluators/maths/classification-tally';
import { knnClassScores } from '../../../../plugins/evaluators/maths/knn';
import { l2Normalize } from '../../../../core/nn/l2-normalize';
import { assertFlatTensorCount } from '../../../helpers/memory';
import { assertClose, assertMetricsClose, matrix, readMetricFixture } from './metric-fixtures';

interface KnnCase {
  k: number;
  temperature: number;
  numClasses: number;
  memory: number[][];
  memoryLabels: number[];
  queries: number[][];
  queryLabels: number[];
  scores: number[][];
  metrics: Record<string, number>;
}

const { cases } = readMetricFixture<{ cases: KnnCase[] }>('knn.json');

describe('knnClassScores (weighted kNN votes) vs NumPy', () => {
  for (const c of cases) {
    it(`k=${c.k}, T=${c.temperature}: vote weights within 1e-4 relative, top-k equal`, async () => {
      const memory = l2Normalize(matrix(c.memory));
      const queries = l2Normalize(matrix(c.queries));
      const labels = tf.tensor1d(c.memoryLabels, 'int32');
      const scores = knnClassScores(memory, labels, queries, { k: c.k, temperature: c.temperature, numClasses: c.numClasses });
      // exp(sim / 0.07) amplifies float32 rounding of sim ~14-fold; 1e-4 relative is ample.
      assertClose(scores.dataSync(), c.scores.flat(), 1e-4, 1e-6, 'scores');
      const tally = new ClassificationTally(c.numClasses, [1, 3, 5], true);
      await tally.add(scores, Int32Array.from(c.queryLabels));
      assertMetricsClose(tally.metrics(), c.metrics, 1e-12);
      tf.dispose([memory, queries, labels, scores]);
    });
  }

  it('clamps k to the memory size', () => {
    const memory = l2Normalize(matrix([[1, 0], [0, 1]]));
    const labels = tf.tensor1d([0, 1], 'int32');
    const queries = l2Normalize(matrix([[1, 0]]));
    const scores = knnClassScores(memory, labels, queries, { k: 20, temperature: 1, numClasses: 2 });
    assertClose(scores.dataSync(), [Math.E, 1], 1e-6, 0, 'scores');
    tf.dispose([memory, labels, queries, scores]);
  });

  it('keeps the tensor count flat', async () => {
    const c = cases[0];
    const memory = matrix(c.memory);
    const queries = matrix(c.queries);
    const labels = tf.tensor1d(c.memoryLabels, 'int32');
    await assertFlatTensorCount(3, () => {
      knnClassScores(memory, labels, queries, { k: c.k, temperature: c.temperature, numClasses: c.numClasses }).dispose();
    });
    tf.dispose([memory, queries, labels]);
  });
});

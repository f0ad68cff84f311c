import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { ClassificationTally, trueClassRanks } from '../../../../plugins/evaluators/maths/classification-tally';
import { assertFlatTensorCount } from '../../../helpers/memory';
import { assertMetricsClose, matrix, readMetricFixture } from './metric-fixtures';

interface TopkCase {
  kind: string;
  numClasses: number;
  ks: number[];
  scores: number[][];
  labels: number[];
  ranks: number[];
  metrics: Record<string, number>;
}

const { cases } = readMetricFixture<{ cases: TopkCase[] }>('topk.json');

describe('ClassificationTally (top-k, mean per class) vs NumPy', () => {
  for (const c of cases) {
    it(`${c.kind} scores: ranks from a stable descending sort and every top-k metric match`, async () => {
      const scores = matrix(c.scores);
      const labels = Int32Array.from(c.labels);
      assert.deepEqual(Array.from(await trueClassRanks(scores, labels)), c.ranks);
      // Fed in uneven batches, to check the accumulation across batches.
      const tally = new ClassificationTally(c.numClasses, c.ks, true);
      for (const [start, end] of [[0, 7], [7, 8], [8, labels.length]]) {
        const part = scores.slice([start, 0], [end - start, -1]);
        await tally.add(part, labels.subarray(start, end));
        part.dispose();
      }
      scores.dispose();
      assertMetricsClose(tally.metrics(), c.metrics, 1e-12);
    });
  }

  it('reports only top<k> without meanPerClass', async () => {
    const c = cases[0];
    const tally = new ClassificationTally(c.numClasses, [1, 5]);
    const scores = matrix(c.scores);
    await tally.add(scores, Int32Array.from(c.labels));
    scores.dispose();
    assert.deepEqual(Object.keys(tally.metrics()), ['top1', 'top5']);
    assert.equal(tally.metrics().top1, c.metrics.top1);
  });

  it('rejects a label outside the class list with a DataError', async () => {
    const tally = new ClassificationTally(3);
    const scores = tf.zeros([1, 3]) as tf.Tensor2D;
    await assert.rejects(() => tally.add(scores, Int32Array.of(3)), /label 3 outside \[0, 3\)/);
    scores.dispose();
  });

  it('keeps the tensor count flat', async () => {
    const c = cases[1];
    const scores = matrix(c.scores);
    await assertFlatTensorCount(3, async () => {
      await new ClassificationTally(c.numClasses, c.ks, true).add(scores, Int32Array.from(c.labels));
    });
    scores.dispose();
  });
});

import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { ClassificationTally } from '../../../../plugins/evaluators/maths/classification-tally';
import { zeroShotClassEmbeddings } from '../../../../plugins/evaluators/maths/class-embeddings';
import { l2Normalize } from '../../../../core/nn/l2-normalize';
import { assertFlatTensorCount } from '../../../helpers/memory';
import { assertClose, assertMetricsClose, matrix, readMetricFixture } from './metric-fixtures';

interface ZeroShotFixture {
  classNames: string[];
  templates: string[];
  prompts: string[];
  promptEmbeddings: number[][];
  classEmbeddings: number[][];
  imageEmbeddings: number[][];
  labels: number[];
  logits: number[][];
  metrics: Record<string, number>;
}

const fixture = readMetricFixture<ZeroShotFixture>('zero-shot.json');

/** A text tower that looks each prompt up in the fixture (and records what it was asked). */
function lookupEmbedder(calls: number[]) {
  return (texts: readonly string[]): tf.Tensor2D => {
    calls.push(texts.length);
    return matrix(
      texts.map((t) => {
        const i = fixture.prompts.indexOf(t);
        assert.ok(i >= 0, `unexpected prompt "${t}"`);
        return fixture.promptEmbeddings[i];
      }),
    );
  };
}

describe('zeroShotClassEmbeddings vs NumPy', () => {
  for (const batchSize of [1, 7, 256]) {
    it(`normalises each prompt, averages per class, renormalises (batch ${batchSize})`, async () => {
      const calls: number[] = [];
      const classes = zeroShotClassEmbeddings(lookupEmbedder(calls), fixture.classNames, fixture.templates, batchSize);
      assert.deepEqual(classes.shape, [fixture.classNames.length, fixture.promptEmbeddings[0].length]);
      assertClose(classes.dataSync(), fixture.classEmbeddings.flat(), 0, 1e-6, 'class embeddings');
      // Whole classes per call, never more than batchSize prompts unless one class alone exceeds it.
      for (const n of calls) assert.ok(n % fixture.templates.length === 0 && (n <= batchSize || n === fixture.templates.length));
      const images = l2Normalize(matrix(fixture.imageEmbeddings));
      const logits = tf.matMul(images, classes, false, true) as tf.Tensor2D;
      assertClose(logits.dataSync(), fixture.logits.flat(), 0, 1e-6, 'logits');
      const tally = new ClassificationTally(fixture.classNames.length, [1, 3, 5], true);
      await tally.add(logits, Int32Array.from(fixture.labels));
      assertMetricsClose(tally.metrics(), fixture.metrics, 1e-12);
      tf.dispose([classes, images, logits]);
    });
  }

  it('keeps the tensor count flat', async () => {
    await assertFlatTensorCount(3, () => {
      zeroShotClassEmbeddings(lookupEmbedder([]), fixture.classNames, fixture.templates, 5).dispose();
    });
  });
});

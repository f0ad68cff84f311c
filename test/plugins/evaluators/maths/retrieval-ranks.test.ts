import { strict as assert } from 'node:assert';
import { l2Normalize } from '../../../../core/nn/l2-normalize';
import { pairedRetrievalRanks, recallAtK } from '../../../../plugins/evaluators/maths/retrieval-ranks';
import { assertFlatTensorCount } from '../../../helpers/memory';
import * as tf from '@tensorflow/tfjs';
import { matrix, readMetricFixture } from './metric-fixtures';

interface RetrievalFixture {
  images: number[][];
  texts: number[][];
  imageToTextRanks: number[];
  textToImageRanks: number[];
  recall: Record<string, number>;
}

const fixture = readMetricFixture<RetrievalFixture>('retrieval.json');

describe('pairedRetrievalRanks and recallAtK vs NumPy', () => {
  it('gives the same ranks both ways, whatever the chunk size, and the same recall@1/5/10', async () => {
    const images = l2Normalize(matrix(fixture.images));
    const texts = l2Normalize(matrix(fixture.texts));
    for (const chunk of [1, 7, 64]) {
      const i2t = await pairedRetrievalRanks(images, texts, chunk);
      const t2i = await pairedRetrievalRanks(texts, images, chunk);
      assert.deepEqual(Array.from(i2t), fixture.imageToTextRanks, `image→text, chunk ${chunk}`);
      assert.deepEqual(Array.from(t2i), fixture.textToImageRanks, `text→image, chunk ${chunk}`);
      for (const k of [1, 5, 10]) {
        assert.equal(recallAtK(i2t, k), fixture.recall[`image_to_text_r${k}`]);
        assert.equal(recallAtK(t2i, k), fixture.recall[`text_to_image_r${k}`]);
      }
    }
    tf.dispose([images, texts]);
  });

  it('ranks an exact duplicate target after the own target only when it comes later', async () => {
    // Targets 0 and 1 are identical: query 0 ranks its own first, query 1 sees target 0 tie ahead.
    const same = matrix([[1, 0], [1, 0], [0, 1]]);
    assert.deepEqual(Array.from(await pairedRetrievalRanks(same, same, 2)), [0, 1, 0]);
    same.dispose();
  });

  it('keeps the tensor count flat', async () => {
    const images = matrix(fixture.images);
    await assertFlatTensorCount(3, async () => {
      await pairedRetrievalRanks(images, images, 8);
    });
    images.dispose();
  });
});

import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { TrainingError } from '../../../../core/errors';
import { clipLoss } from '../../../../plugins/objectives/losses/clip';

describe('clipLoss', () => {
  it('is the symmetric cross-entropy of scale · îᵀt̂', () => {
    // Matching orthonormal pairs at scale 3: each direction's rows score [3, 0], CE = log(1 + e⁻³).
    const image = tf.tensor2d([[4, 0], [0, 1]]);
    const text = tf.tensor2d([[1, 0], [0, 2]]);
    const { loss, logits } = clipLoss(image, text, 3);
    assert.ok(Math.abs(loss.arraySync() - Math.log(1 + Math.exp(-3))) < 1e-5);
    assert.deepEqual(logits.arraySync(), [[3, 0], [0, 3]]);
    tf.dispose([image, text, loss, logits]);
  });

  it('refuses a non-positive numeric scale and unpaired batches', () => {
    const image = tf.ones([2, 4]) as tf.Tensor2D;
    const text = tf.ones([3, 4]) as tf.Tensor2D;
    assert.throws(() => clipLoss(image, image, 0), (e: unknown) => e instanceof TrainingError && e.message.includes('clipLoss: logitScale'));
    assert.throws(() => clipLoss(image, text, 1), (e: unknown) => e instanceof TrainingError && e.message.includes('image [2, 4] and text [3, 4]'));
    tf.dispose([image, text]);
  });
});

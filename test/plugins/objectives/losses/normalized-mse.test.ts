import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { TrainingError } from '../../../../core/errors';
import { normalizedMse } from '../../../../plugins/objectives/losses/normalized-mse';

describe('normalizedMse', () => {
  it('is the mean of ‖p̂ − ẑ‖² = 2 − 2 cos', () => {
    // Opposite rows: ‖p̂ − ẑ‖² = 4; orthogonal rows: 2. Mean 3.
    const p = tf.tensor2d([[1, 0], [0, 1]]);
    const z = tf.tensor2d([[-3, 0], [5, 0]]);
    const loss = normalizedMse(p, z);
    assert.ok(Math.abs(loss.arraySync() - 3) < 1e-5);
    tf.dispose([p, z, loss]);
  });

  it('refuses a batch that is not [N, D]', () => {
    const p = tf.ones([2, 2, 2]) as unknown as tf.Tensor2D;
    assert.throws(() => normalizedMse(p, p), (e: unknown) => e instanceof TrainingError && e.message.includes('p must be [N, D] embeddings, got shape [2, 2, 2]'));
    p.dispose();
  });
});

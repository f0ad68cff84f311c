import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { TrainingError } from '../../../../core/errors';
import { ntXentLoss } from '../../../../plugins/objectives/losses/nt-xent';

describe('ntXentLoss', () => {
  it('matches the hand-computed value for two orthogonal samples whose views agree', () => {
    // Row 0 of view a scores [a·b | a·a − 1e9] = [1, 0 | −1e9, 0] at τ = 1: −log(e / (e + 2)).
    const a = tf.tensor2d([[2, 0], [0, 3]]);
    const { loss, logits } = ntXentLoss(a, a, 1);
    assert.ok(Math.abs(loss.arraySync() - Math.log(1 + 2 / Math.E)) < 1e-5, String(loss.arraySync()));
    assert.deepEqual(logits.shape, [2, 4]);
    tf.dispose([a, loss, logits]);
  });

  it('refuses a non-positive temperature and mismatched views, naming them', () => {
    const a = tf.ones([4, 3]) as tf.Tensor2D;
    const b = tf.ones([4, 2]) as tf.Tensor2D;
    assert.throws(() => ntXentLoss(a, a, 0), (e: unknown) => e instanceof TrainingError && /ntXentLoss: temperature must be a finite number > 0, got 0/.test(e.message));
    assert.throws(() => ntXentLoss(a, b, 0.1), (e: unknown) => e instanceof TrainingError && /a \[4, 3\] and b \[4, 2\] must have the same shape/.test(e.message));
    assert.throws(() => ntXentLoss(tf.ones([4]) as unknown as tf.Tensor2D, a, 0.1), (e: unknown) => e instanceof TrainingError && /a must be \[N, D\] embeddings, got shape \[4\]/.test(e.message));
    tf.dispose([a, b]);
  });
});

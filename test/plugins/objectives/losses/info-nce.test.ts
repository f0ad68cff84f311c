import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { TrainingError } from '../../../../core/errors';
import { mocoInfoNceLoss } from '../../../../plugins/objectives/losses/info-nce';

describe('mocoInfoNceLoss', () => {
  it('is 2τ times the cross-entropy of q̂·k̂ᵀ/τ with positives on the diagonal', () => {
    // Orthonormal q = k, τ = 0.5: each row's logits are [2, 0], CE = log(1 + e⁻²), times 2τ = 1.
    const q = tf.tensor2d([[1, 0], [0, 5]]);
    const { loss } = mocoInfoNceLoss(q, q, 0.5);
    assert.ok(Math.abs(loss.arraySync() - Math.log(1 + Math.exp(-2))) < 1e-5);
    tf.dispose([q, loss]);
  });

  it('refuses a temperature ≤ 0 and queries and keys of different shapes', () => {
    const q = tf.ones([2, 3]) as tf.Tensor2D;
    assert.throws(() => mocoInfoNceLoss(q, q, -1), (e: unknown) => e instanceof TrainingError && e.message.includes('mocoInfoNceLoss: temperature'));
    const k = tf.ones([3, 3]) as tf.Tensor2D;
    assert.throws(() => mocoInfoNceLoss(q, k, 0.2), (e: unknown) => e instanceof TrainingError && e.message.includes('q [2, 3] and k [3, 3]'));
    tf.dispose([q, k]);
  });
});

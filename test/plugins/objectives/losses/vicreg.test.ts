import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { TrainingError } from '../../../../core/errors';
import { vicregLoss, type VicregCoefficients } from '../../../../plugins/objectives/losses/vicreg';

const k: VicregCoefficients = { invariance: 25, variance: 25, covariance: 1, stdTarget: 1, eps: 1e-4 };

describe('vicregLoss', () => {
  it('adds λ·MSE, μ·std hinge and ν·off-diagonal covariance', () => {
    // y = x + 1 in the first column: squared differences (1, 0, 1, 0), MSE 0.5.
    const x = tf.tensor2d([[0, 0], [2, 0]]);
    const y = tf.tensor2d([[1, 0], [3, 0]]);
    const r = vicregLoss(x, y, k);
    assert.ok(Math.abs(r.invariance.arraySync() - 0.5) < 1e-6);
    // Unbiased variances (2, 0): hinges max(0, 1 − √(2 + eps)) = 0 and 1 − √eps; mean over dims, same for y.
    assert.ok(Math.abs(r.variance.arraySync() - (1 - Math.sqrt(1e-4)) / 2) < 1e-5);
    // The second column is constant, so every covariance off the diagonal is 0.
    assert.ok(Math.abs(r.covariance.arraySync()) < 1e-6);
    assert.ok(Math.abs(r.loss.arraySync() - (25 * 0.5 + 25 * (1 - Math.sqrt(1e-4)) / 2)) < 1e-4);
    tf.dispose([x, y, r.loss, r.invariance, r.variance, r.covariance]);
  });

  it('refuses negative coefficients, eps ≤ 0 and mismatched views', () => {
    const x = tf.ones([3, 2]) as tf.Tensor2D;
    const y = tf.ones([3, 4]) as tf.Tensor2D;
    assert.throws(() => vicregLoss(x, x, { ...k, covariance: -1 }), (e: unknown) => e instanceof TrainingError && e.message.includes('vicregLoss: covariance'));
    assert.throws(() => vicregLoss(x, x, { ...k, eps: 0 }), (e: unknown) => e instanceof TrainingError && e.message.includes('vicregLoss: eps'));
    assert.throws(() => vicregLoss(x, y, k), (e: unknown) => e instanceof TrainingError && e.message.includes('x [3, 2] and y [3, 4]'));
    tf.dispose([x, y]);
  });
});

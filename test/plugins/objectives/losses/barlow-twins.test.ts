import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { TrainingError } from '../../../../core/errors';
import { barlowTwinsLoss } from '../../../../plugins/objectives/losses/barlow-twins';

describe('barlowTwinsLoss', () => {
  it('is Σ(1 − Cᵢᵢ)² + λ Σ Cᵢⱼ² of the cross-correlation of the standardised views', () => {
    // z1 = z2 with columns (−1, 1) and (1, −1): standardised they are ±1 (eps aside), C = [[1, −1], [−1, 1]].
    const z = tf.tensor2d([[-1, 1], [1, -1]]);
    const r = barlowTwinsLoss(z, z, 0.5, 1e-12);
    assert.ok(Math.abs(r.onDiagonal.arraySync()) < 1e-6);
    assert.ok(Math.abs(r.offDiagonal.arraySync() - 2) < 1e-5);
    assert.ok(Math.abs(r.loss.arraySync() - 1) < 1e-5);
    tf.dispose([z, r.loss, r.onDiagonal, r.offDiagonal]);
  });

  it('refuses a negative λ, eps ≤ 0 and a single row', () => {
    const z = tf.ones([4, 2]) as tf.Tensor2D;
    const one = tf.ones([1, 2]) as tf.Tensor2D;
    assert.throws(() => barlowTwinsLoss(z, z, -1), (e: unknown) => e instanceof TrainingError && e.message.includes('lambda must be a finite number ≥ 0, got -1'));
    assert.throws(() => barlowTwinsLoss(z, z, 1, 0), (e: unknown) => e instanceof TrainingError && e.message.includes('eps'));
    assert.throws(() => barlowTwinsLoss(one, one, 1), (e: unknown) => e instanceof TrainingError && e.message.includes('z1 needs at least 2 rows'));
    tf.dispose([z, one]);
  });
});

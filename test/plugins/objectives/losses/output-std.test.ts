import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { TrainingError } from '../../../../core/errors';
import { normalizedOutputStd } from '../../../../plugins/objectives/losses/output-std';

describe('normalizedOutputStd', () => {
  it('is 0 for collapsed outputs and the unbiased std of the normalised rows otherwise', () => {
    const collapsed = tf.tensor2d([[1, 2], [2, 4], [3, 6]]); // one direction
    assert.ok(Math.abs(normalizedOutputStd(collapsed).arraySync()) < 1e-6);
    // Rows (1, 0) and (0, 1): each dimension holds {1, 0}, unbiased std √0.5.
    const spread = tf.tensor2d([[3, 0], [0, 7]]);
    assert.ok(Math.abs(normalizedOutputStd(spread).arraySync() - Math.sqrt(0.5)) < 1e-5);
    tf.dispose([collapsed, spread]);
  });

  it('needs two rows for an unbiased std', () => {
    const one = tf.ones([1, 4]) as tf.Tensor2D;
    assert.throws(() => normalizedOutputStd(one), (e: unknown) => e instanceof TrainingError && e.message.includes('at least 2 rows, got 1'));
    one.dispose();
  });
});

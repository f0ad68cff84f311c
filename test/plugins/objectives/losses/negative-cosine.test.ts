import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { TrainingError } from '../../../../core/errors';
import { negativeCosine } from '../../../../plugins/objectives/losses/negative-cosine';

describe('negativeCosine', () => {
  it('is −mean cos(p, z) over the rows', () => {
    // cos = 1 for the first pair, 0 for the second: −0.5.
    const p = tf.tensor2d([[1, 1], [1, 0]]);
    const z = tf.tensor2d([[2, 2], [0, 3]]);
    const loss = negativeCosine(p, z);
    assert.ok(Math.abs(loss.arraySync() + 0.5) < 1e-6);
    tf.dispose([p, z, loss]);
  });

  it('refuses batches of different shapes', () => {
    const p = tf.ones([2, 2]) as tf.Tensor2D;
    const z = tf.ones([2, 3]) as tf.Tensor2D;
    assert.throws(() => negativeCosine(p, z), (e: unknown) => e instanceof TrainingError && e.message.includes('negativeCosine: p [2, 2] and z [2, 3]'));
    tf.dispose([p, z]);
  });
});

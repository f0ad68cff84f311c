import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { clipGlobalNorm } from '../../../core/engine/grad-clip';

describe('gradient clipping: tensors', () => {
  for (const maxNorm of [1, 100]) {
    it(`leaves only the gradients behind (${maxNorm === 1 ? 'clipped' : 'not clipped'})`, async () => {
      const grads = new Map<string, tf.Tensor>([
        ['a', tf.tensor1d([3, 0])],
        ['b', tf.tensor1d([4])],
      ]);
      const before = tf.memory().numTensors;
      assert.equal(await clipGlobalNorm(grads, maxNorm), 5);
      assert.equal(tf.memory().numTensors, before);
      tf.dispose([...grads.values()]);
    });
  }
});

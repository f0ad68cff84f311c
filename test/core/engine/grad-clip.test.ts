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
      const original = [...grads.values()].map((g) => g.dataSync().slice());
      const before = tf.memory().numTensors;
      const norm = clipGlobalNorm(grads, maxNorm);
      assert.equal((await norm.data())[0], 5);
      norm.dispose();
      assert.equal(tf.memory().numTensors, before);
      // Within bounds the factor is exactly 1 (PyTorch multiplies by the clamped factor too).
      const scale = Math.min(1, maxNorm / (5 + 1e-6));
      [...grads.values()].forEach((g, i) =>
        g.dataSync().forEach((v, j) => {
          const want = original[i][j] * scale;
          if (scale === 1) assert.equal(v, original[i][j]);
          else assert.ok(Math.abs(v - want) <= 1e-6 * Math.abs(want) + 1e-12, `${v} vs ${want}`);
        }),
      );
      tf.dispose([...grads.values()]);
    });
  }
});

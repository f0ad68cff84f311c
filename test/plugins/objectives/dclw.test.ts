import { describeOnBackends } from '../../helpers/backends';
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import dclw from '../../../plugins/objectives/dclw';
import { dclwWeights } from '../../../plugins/objectives/losses/dcl';
import { assertLossDecreased, buildObjective, checkAgainstReference, trainOnRandomInputs } from './support/harness';

const small = { inputDim: 16, head: { hidden: [32], out: 16 } };

describeOnBackends('objective dclw', () => {
  it("matches lightly's DCLWLoss (von Mises-Fisher weights, σ 0.5): loss and gradients", () => {
    checkAgainstReference(dclw);
  });

  it('weights average to 1 and favour the least similar (hard) positives', () => {
    tf.tidy(() => {
      const a = tf.tensor2d([[1, 0], [0, 1], [1, 0]]);
      const b = tf.tensor2d([[1, 0], [1, 0], [0.6, 0.8]]);
      const w = Array.from(dclwWeights(a, b, 0.5).dataSync());
      assert.ok(Math.abs(w.reduce((s, x) => s + x, 0) / 3 - 1) < 1e-6);
      assert.ok(w[1] > w[2] && w[2] > w[0], w.join());
    });
  });

  it('rejects a zero σ with its spec path', () => {
    assert.throws(() => buildObjective(dclw, { ...small, sigma: 0 }), /objectives\[0\]\.sigma: must be > 0/);
  });

  it('trains its head with a falling loss and a flat tensor count', async () => {
    assertLossDecreased(await trainOnRandomInputs(dclw, small, ['features.0', 'features.1']));
  });
});

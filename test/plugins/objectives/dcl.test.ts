import { describeOnBackends } from '../../helpers/backends';
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import dcl from '../../../plugins/objectives/dcl';
import { dclLoss } from '../../../plugins/objectives/losses/dcl';
import { ntXentLoss } from '../../../plugins/objectives/losses/nt-xent';
import { buildObjective, checkAgainstReference, disposeObjective, trainOnRandomInputs, assertLossDecreased } from './support/harness';

const small = { inputDim: 16, head: { hidden: [32], out: 16 } };

describeOnBackends('objective dcl', () => {
  it("matches lightly's DCLLoss: loss and gradients through the projection head", () => {
    checkAgainstReference(dcl);
  });

  it('lies below NT-Xent on the same inputs: the positive is left out of the denominator', () => {
    tf.tidy(() => {
      const a = tf.randomNormal([6, 5], 0, 1, 'float32', 3) as tf.Tensor2D;
      const b = tf.add(a, tf.randomNormal([6, 5], 0, 0.3, 'float32', 4)) as tf.Tensor2D;
      const d = dclLoss(a, b, 0.5).dataSync()[0];
      const n = ntXentLoss(a, b, 0.5).loss.dataSync()[0];
      assert.ok(d < n, `dcl ${d} < nt-xent ${n}`);
    });
  });

  it('rejects a single-row batch with a named error', () => {
    tf.tidy(() => assert.throws(() => dclLoss(tf.ones([1, 4]) as tf.Tensor2D, tf.ones([1, 4]) as tf.Tensor2D, 0.1), /dclLoss: a needs at least 2 rows/));
  });

  it('trains its head with a falling loss and a flat tensor count', async () => {
    const losses = await trainOnRandomInputs(dcl, small, ['features.0', 'features.1']);
    assertLossDecreased(losses);
    const o = buildObjective(dcl, small);
    assert.ok(o.variables().every((v) => v.name.startsWith('projector.')));
    disposeObjective(o);
  });
});

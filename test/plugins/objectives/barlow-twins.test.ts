import { describeOnBackends } from '../../helpers/backends';
import { strict as assert } from 'node:assert';
import barlowTwins from '../../../plugins/objectives/barlow-twins';
import { assertLossDecreased, buildObjective, checkAgainstReference, trainOnRandomInputs } from './support/harness';

const small = { inputDim: 16, projector: { hidden: [32, 24], out: 16 } };

describeOnBackends('objective barlow-twins', () => {
  it('matches the Barlow Twins code in PyTorch: loss, on/off-diagonal terms and gradients', () => {
    checkAgainstReference(barlowTwins);
  });

  it('rejects a negative lambda in the constructor', () => {
    assert.throws(() => buildObjective(barlowTwins, { ...small, lambda: -0.1 }), /objectives\[0\]\.lambda: must be >= 0 \(got -0\.1\)/);
  });

  it('keeps the tensor count flat over 20 training steps, and the loss goes down', async () => {
    assertLossDecreased(await trainOnRandomInputs(barlowTwins, small, ['features.0', 'features.1'], 0.01));
  });
});

import { strict as assert } from 'node:assert';
import barlowTwins from '../../../plugins/objectives/barlow-twins';
import { assertFlatOverTraining, buildObjective, checkAgainstReference, disposeObjective, fixedInputs, randomInputs } from './support/harness';

const small = { inputDim: 16, projector: { hidden: [32, 24], out: 16 } };

describe('objective barlow-twins', () => {
  it('matches the Barlow Twins code in PyTorch: loss, on/off-diagonal terms and gradients', () => {
    checkAgainstReference(barlowTwins);
  });

  it('rejects a negative lambda in the constructor', () => {
    assert.throws(() => buildObjective(barlowTwins, { ...small, lambda: -0.1 }), /objectives\[0\]\.lambda: must be >= 0 \(got -0\.1\)/);
  });

  it('keeps the tensor count flat over 20 training steps, and the loss goes down', async () => {
    const o = buildObjective(barlowTwins, small);
    const inputs = randomInputs(['features.0', 'features.1'], 8, 16);
    const losses = await assertFlatOverTraining(o, fixedInputs(inputs), 20, 0.01);
    assert.ok(losses[19] < losses[0], `loss ${losses[0]} → ${losses[19]}`);
    inputs.forEach((t) => t.dispose());
    disposeObjective(o);
  });
});

import { strict as assert } from 'node:assert';
import vicreg from '../../../plugins/objectives/vicreg';
import { assertFlatOverTraining, buildObjective, checkAgainstReference, disposeObjective, fixedInputs, randomInputs } from './support/harness';

const small = { inputDim: 16, projector: { hidden: [32, 24], out: 16 } };

describe('objective vicreg', () => {
  it('matches the VICReg code in PyTorch: loss, its three terms and gradients', () => {
    checkAgainstReference(vicreg);
  });

  it('rejects a negative coefficient and a zero eps in the constructor', () => {
    assert.throws(() => buildObjective(vicreg, { ...small, covarianceCoeff: -1 }), /objectives\[0\]\.covarianceCoeff: must be >= 0 \(got -1\)/);
    assert.throws(() => buildObjective(vicreg, { ...small, varianceEps: 0 }), /objectives\[0\]\.varianceEps: must be > 0 \(got 0\)/);
  });

  it('keeps the tensor count flat over 20 training steps, and the loss goes down', async () => {
    const o = buildObjective(vicreg, small);
    const inputs = randomInputs(['features.0', 'features.1'], 8, 16);
    const losses = await assertFlatOverTraining(o, fixedInputs(inputs), 20, 0.002);
    assert.ok(losses[19] < losses[0], `loss ${losses[0]} → ${losses[19]}`);
    inputs.forEach((t) => t.dispose());
    disposeObjective(o);
  });
});

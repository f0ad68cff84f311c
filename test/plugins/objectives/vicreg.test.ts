import { describeOnBackends } from '../../helpers/backends';
import { strict as assert } from 'node:assert';
import vicreg from '../../../plugins/objectives/vicreg';
import { assertLossDecreased, buildObjective, checkAgainstReference, trainOnRandomInputs } from './support/harness';

const small = { inputDim: 16, projector: { hidden: [32, 24], out: 16 } };

describeOnBackends('objective vicreg', () => {
  it('matches the VICReg code in PyTorch: loss, its three terms and gradients', () => {
    checkAgainstReference(vicreg);
  });

  it('rejects a negative coefficient and a zero eps in the constructor', () => {
    assert.throws(() => buildObjective(vicreg, { ...small, covarianceCoeff: -1 }), /objectives\[0\]\.covarianceCoeff: must be >= 0 \(got -1\)/);
    assert.throws(() => buildObjective(vicreg, { ...small, varianceEps: 0 }), /objectives\[0\]\.varianceEps: must be > 0 \(got 0\)/);
  });

  it('keeps the tensor count flat over 20 training steps, and the loss goes down', async () => {
    assertLossDecreased(await trainOnRandomInputs(vicreg, small, ['features.0', 'features.1'], 0.002));
  });
});

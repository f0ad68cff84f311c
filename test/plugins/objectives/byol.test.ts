import { describeOnBackends } from '../../helpers/backends';
import { strict as assert } from 'node:assert';
import byol from '../../../plugins/objectives/byol';
import { buildObjective, checkAgainstReference, checkTargetProjectorPairs, disposeObjective, MOMENTUM_TWO_VIEW_KEYS, trainOnRandomInputs } from './support/harness';

const small = { inputDim: 16, projector: { hidden: [32], out: 16 }, predictor: { hidden: [20] } };

describeOnBackends('objective byol', () => {
  it("matches BYOL's symmetric normalised MSE in PyTorch: loss, output_std, gradients; none into the target branch", () => {
    checkAgainstReference(byol);
  });

  it('trains projector and predictor, keeps the target projector as EMA pairs outside variables()', () => {
    const o = buildObjective(byol, small);
    assert.deepEqual(o.momentum, { start: 0.99, end: 1 });
    checkTargetProjectorPairs(o);
    disposeObjective(o);
  });

  it('rejects a bad momentum schedule and head in the constructor', () => {
    assert.throws(() => buildObjective(byol, { ...small, momentum: { end: 1.2 } }), /objectives\[0\]\.momentum\.end: must be in \[0, 1\] \(got 1\.2\)/);
    assert.throws(() => buildObjective(byol, { ...small, predictor: { hidden: [2.5] } }), /objectives\[0\]\.predictor\.hidden\[0\]: must be an integer >= 1/);
  });

  it('keeps the tensor count flat over 20 training steps with EMA updates', async () => {
    const losses = await trainOnRandomInputs(byol, small, MOMENTUM_TWO_VIEW_KEYS);
    assert.ok(losses.every(Number.isFinite));
  });
});

import { describeOnBackends } from '../../helpers/backends';
import { strict as assert } from 'node:assert';
import simsiam from '../../../plugins/objectives/simsiam';
import { assertLossDecreased, buildObjective, checkAgainstReference, disposeObjective, trainOnRandomInputs } from './support/harness';

const small = { inputDim: 16, projector: { hidden: [32, 24], out: 16 }, predictor: { hidden: [20] } };

describeOnBackends('objective simsiam', () => {
  it('matches the SimSiam code in PyTorch (stop-gradient on z): loss, output_std and gradients', () => {
    checkAgainstReference(simsiam);
  });

  it('has no momentum: every head parameter is trained', () => {
    const o = buildObjective(simsiam, small);
    assert.equal(o.momentum, undefined);
    assert.equal(o.momentumPairs, undefined);
    assert.ok(o.variables().length > 0);
    disposeObjective(o);
  });

  it('rejects an empty view list in the constructor', () => {
    assert.throws(() => buildObjective(simsiam, { ...small, views: [] }), /objectives\[0\]\.views: must list exactly 2 view name\(s\) \(got \[\]\)/);
  });

  it('keeps the tensor count flat over 20 training steps, and the loss goes down', async () => {
    assertLossDecreased(await trainOnRandomInputs(simsiam, small, ['features.0', 'features.1']));
  });
});

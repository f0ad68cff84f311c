import { strict as assert } from 'node:assert';
import byol from '../../../plugins/objectives/byol';
import {
  assertFlatOverTraining,
  buildObjective,
  checkAgainstReference,
  checkMomentumWiring,
  disposeObjective,
  fixedInputs,
  randomInputs,
} from './support/harness';

const small = { inputDim: 16, projector: { hidden: [32], out: 16 }, predictor: { hidden: [20] } };

describe('objective byol', () => {
  it("matches BYOL's symmetric normalised MSE in PyTorch: loss, output_std, gradients; none into the target branch", () => {
    checkAgainstReference(byol);
  });

  it('trains projector and predictor, keeps the target projector as EMA pairs outside variables()', () => {
    const o = buildObjective(byol, small);
    assert.deepEqual(o.momentum, { start: 0.99, end: 1 });
    assert.equal(o.momentumPairs!().length, o.variables().filter((v) => v.name.startsWith('projector.')).length);
    checkMomentumWiring(o);
    disposeObjective(o);
  });

  it('rejects a bad momentum schedule and head in the constructor', () => {
    assert.throws(() => buildObjective(byol, { ...small, momentum: { end: 1.2 } }), /objectives\[0\]\.momentum\.end: must be in \[0, 1\] \(got 1\.2\)/);
    assert.throws(() => buildObjective(byol, { ...small, predictor: { hidden: [2.5] } }), /objectives\[0\]\.predictor\.hidden\[0\]: must be an integer >= 1/);
  });

  it('keeps the tensor count flat over 20 training steps with EMA updates', async () => {
    const o = buildObjective(byol, small);
    const inputs = randomInputs(['features.0', 'features.1', 'momentumFeatures.0', 'momentumFeatures.1'], 8, 16);
    const losses = await assertFlatOverTraining(o, fixedInputs(inputs));
    assert.ok(losses.every(Number.isFinite));
    inputs.forEach((t) => t.dispose());
    disposeObjective(o);
  });
});

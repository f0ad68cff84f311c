import { describeOnBackends } from '../../helpers/backends';
import { strict as assert } from 'node:assert';
import { SpecError } from '../../../core/errors';
import mocov3 from '../../../plugins/objectives/mocov3';
import { buildObjective, checkAgainstReference, checkTargetProjectorPairs, disposeObjective, MOMENTUM_TWO_VIEW_KEYS, trainOnRandomInputs } from './support/harness';

const small = { inputDim: 16, projector: { hidden: [32, 24], out: 16 }, predictor: { hidden: [20] } };

describeOnBackends('objective mocov3', () => {
  it('matches the MoCo v3 code in PyTorch: loss (×2τ, both directions), ssl_acc, gradients; none into the momentum branch', () => {
    checkAgainstReference(mocov3);
  });

  it('trains projector and predictor, keeps the target projector as EMA pairs outside variables()', () => {
    const o = buildObjective(mocov3, { ...small, momentum: { start: 0.95, end: 0.999 } });
    assert.deepEqual(o.momentum, { start: 0.95, end: 0.999 });
    checkTargetProjectorPairs(o);
    disposeObjective(o);
  });

  it('defaults to the MoCo v3 ViT momentum 0.99 → 1 and rejects bad options in the constructor', () => {
    const o = buildObjective(mocov3, small);
    assert.deepEqual(o.momentum, { start: 0.99, end: 1 });
    disposeObjective(o);
    assert.throws(
      () => buildObjective(mocov3, { ...small, temperature: 0 }),
      (e: unknown) => e instanceof SpecError && e.message === 'invalid spec: objectives[0].temperature: must be > 0 (got 0)',
    );
    assert.throws(() => buildObjective(mocov3, { ...small, momentum: { start: 0.999, end: 0.99 } }), /objectives\[0\]\.momentum\.start: must be <= momentum\.end/);
    assert.throws(() => buildObjective(mocov3, { ...small, momentum: { start: 1.5 } }), /objectives\[0\]\.momentum\.start: must be in \[0, 1\]/);
  });

  it('keeps the tensor count flat over 20 training steps with EMA updates', async () => {
    const losses = await trainOnRandomInputs(mocov3, small, MOMENTUM_TWO_VIEW_KEYS);
    assert.ok(losses.every(Number.isFinite));
  });
});

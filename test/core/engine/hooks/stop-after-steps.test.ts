import { strict as assert } from 'node:assert';
import { StopAfterSteps } from '../../../../core/engine/hooks/stop-after-steps';
import { advance, fakeRun } from './fake-run';

describe('hooks: stop after steps', () => {
  it('asks to stop once this session has taken that many steps (counted from a resumed step)', () => {
    const hook = new StopAfterSteps(2);
    const ctx = fakeRun(10, 5);
    advance(ctx);
    hook.afterStep(ctx);
    assert.equal(ctx.stopRequested, undefined);
    advance(ctx);
    hook.afterStep(ctx);
    assert.equal(ctx.stopRequested, 'stopAfterSteps 2');
  });
});

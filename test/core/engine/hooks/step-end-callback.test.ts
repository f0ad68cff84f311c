import { strict as assert } from 'node:assert';
import { StepEndCallback } from '../../../../core/engine/hooks/step-end-callback';
import { advance, fakeRun } from './fake-run';

describe('hooks: step-end callback', () => {
  it('calls back with the number of steps done', () => {
    const seen: number[] = [];
    const hook = new StepEndCallback((s) => seen.push(s));
    const ctx = fakeRun(10, 2);
    advance(ctx);
    hook.afterStep(ctx);
    advance(ctx);
    hook.afterStep(ctx);
    assert.deepEqual(seen, [3, 4]);
  });
});

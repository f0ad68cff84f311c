import { strict as assert } from 'node:assert';
import { Checkpointing } from '../../../../core/engine/hooks/checkpointing';
import type { RunContext } from '../../../../core/engine/hooks/hook';
import { advance, fakeRun } from './fake-run';

/** A Checkpointing hook whose writer records (step, best) instead of writing files. */
function harness(every: number) {
  const saved: Array<[number, boolean]> = [];
  const hook = new Checkpointing({ save: (state, best) => (saved.push([state.step, best]), `step-${state.step}`) }, every, { debug: () => undefined });
  return { hook, saved };
}

function steps(hook: Checkpointing, ctx: RunContext, n: number, before: (ctx: RunContext) => void = () => undefined): void {
  for (let i = 0; i < n; i++) {
    advance(ctx);
    before(ctx);
    hook.afterStep(ctx);
  }
}

describe('hooks: checkpointing', () => {
  it('saves every checkpointEvery steps except the last, then the final checkpoint', () => {
    const { hook, saved } = harness(2);
    const ctx = fakeRun(4);
    steps(hook, ctx, 4);
    hook.afterRun(ctx, 'FINISHED');
    assert.deepEqual(saved, [[2, false], [4, false]]);
  });

  it('saves when asked, as best if asked so, and takes the request', () => {
    const { hook, saved } = harness(0);
    const ctx = fakeRun(5);
    steps(hook, ctx, 4, (c) => {
      if (c.step === 1) c.requestCheckpoint(false);
      if (c.step === 3) c.requestCheckpoint(true);
    });
    assert.deepEqual(saved, [[1, false], [3, true]]);
    assert.equal(ctx.takeCheckpointRequest(), undefined);
  });

  it('a finished run\'s final checkpoint is best when the final evaluation asked for it', () => {
    const { hook, saved } = harness(0);
    const ctx = fakeRun(2);
    steps(hook, ctx, 2);
    ctx.requestCheckpoint(true);
    hook.afterRun(ctx, 'FINISHED');
    assert.deepEqual(saved, [[2, true]]);
  });

  it('a stopped run gets one checkpoint at its step, none if that step is saved already', () => {
    const first = harness(0);
    const ctx = fakeRun(10);
    steps(first.hook, ctx, 3);
    first.hook.afterRun(ctx, 'KILLED');
    assert.deepEqual(first.saved, [[3, false]]);

    const second = harness(2);
    const ctx2 = fakeRun(10);
    steps(second.hook, ctx2, 4);
    second.hook.afterRun(ctx2, 'KILLED');
    assert.deepEqual(second.saved, [[2, false], [4, false]]);
  });

  it('a failed run keeps its last good checkpoint: nothing more is written', () => {
    const { hook, saved } = harness(2);
    const ctx = fakeRun(10);
    steps(hook, ctx, 3);
    hook.afterRun(ctx, 'FAILED');
    assert.deepEqual(saved, [[2, false]]);
  });
});

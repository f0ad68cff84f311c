import { strict as assert } from 'node:assert';
import type { TrainingHook } from '../../../../core/engine/hooks/hook';
import { HookList } from '../../../../core/engine/hooks/hook-list';
import { fakeRun, report } from './fake-run';

/** A hook that records each phase it sees as `<name>.<phase>`, and throws in the phases listed in `throwIn`. */
function recorder(name: string, calls: string[], throwIn: string[] = []): TrainingHook {
  const seen = (phase: string) => {
    calls.push(`${name}.${phase}`);
    if (throwIn.includes(phase)) throw new Error(`${name} failed in ${phase}`);
  };
  return {
    beforeRun: () => seen('beforeRun'),
    checkStep: () => seen('checkStep'),
    afterStep: async () => seen('afterStep'),
    afterRun: (_ctx, end) => seen(`afterRun(${end})`),
  };
}

describe('hooks: the hook list', () => {
  it('calls each phase on every hook in list order; a hook may leave phases out', async () => {
    const calls: string[] = [];
    const list = new HookList([recorder('a', calls), {}, recorder('b', calls)], { warn: () => undefined });
    const ctx = fakeRun(3);
    await list.beforeRun(ctx);
    list.checkStep(ctx, report());
    await list.afterStep(ctx, report());
    assert.deepEqual(await list.afterRun(ctx, 'KILLED'), { status: 'KILLED' });
    assert.deepEqual(calls, ['a.beforeRun', 'b.beforeRun', 'a.checkStep', 'b.checkStep', 'a.afterStep', 'b.afterStep', 'a.afterRun(KILLED)', 'b.afterRun(KILLED)']);
  });

  it('when an end task throws, the hooks after it see FAILED and the run fails with that error', async () => {
    const calls: string[] = [];
    const list = new HookList([recorder('a', calls), recorder('b', calls, ['afterRun(FINISHED)']), recorder('c', calls)], { warn: () => undefined });
    const end = await list.afterRun(fakeRun(3), 'FINISHED');
    assert.equal(end.status, 'FAILED');
    assert.equal(end.error?.message, 'b failed in afterRun(FINISHED)');
    assert.deepEqual(calls, ['a.afterRun(FINISHED)', 'b.afterRun(FINISHED)', 'c.afterRun(FAILED)']);
  });

  it('a failed run reaches every hook and keeps its own error; later ones are logged', async () => {
    const calls: string[] = [];
    const warnings: string[] = [];
    const list = new HookList([recorder('a', calls, ['afterRun(FAILED)']), recorder('b', calls)], { warn: (m) => warnings.push(m) });
    const end = await list.afterRun(fakeRun(3), 'FAILED', new Error('step 2: NaN'));
    assert.deepEqual([end.status, end.error?.message], ['FAILED', 'step 2: NaN']);
    assert.deepEqual(calls, ['a.afterRun(FAILED)', 'b.afterRun(FAILED)']);
    assert.deepEqual(warnings, ['while ending a failed run: a failed in afterRun(FAILED)']);
  });
});

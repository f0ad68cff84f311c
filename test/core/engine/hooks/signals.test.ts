import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { SignalStop } from '../../../../core/engine/hooks/signals';
import { advance, fakeRun } from './fake-run';

describe('hooks: signals', () => {
  it('turns the first SIGINT/SIGTERM into a stop request after the step, and warns once', () => {
    const source = new EventEmitter();
    const warnings: string[] = [];
    const hook = new SignalStop({ warn: (m) => warnings.push(m) }, source);
    const ctx = fakeRun(10);
    hook.beforeRun();
    advance(ctx);
    hook.afterStep(ctx);
    assert.equal(ctx.stopRequested, undefined);
    assert.equal(hook.syncAt(), false, 'no reason to read figures early');
    source.emit('SIGTERM', 'SIGTERM');
    assert.equal(hook.syncAt(), true, 'a loop that defers reads stops at the step in progress');
    source.emit('SIGINT', 'SIGINT');
    assert.equal(ctx.stopRequested, undefined, 'the step in progress finishes first');
    advance(ctx);
    hook.afterStep(ctx);
    assert.equal(ctx.stopRequested, 'SIGTERM');
    assert.deepEqual(warnings, ['SIGTERM received: finishing the current step, writing a checkpoint and stopping']);
  });

  it('installs its handlers for the run and removes them at the end', () => {
    const source = new EventEmitter();
    const hook = new SignalStop({ warn: () => undefined }, source);
    hook.beforeRun();
    assert.deepEqual([source.listenerCount('SIGINT'), source.listenerCount('SIGTERM')], [1, 1]);
    hook.afterRun();
    assert.deepEqual([source.listenerCount('SIGINT'), source.listenerCount('SIGTERM')], [0, 0]);
  });
});

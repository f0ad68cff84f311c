import { strict as assert } from 'node:assert';
import { TrackerHook } from '../../../../core/engine/hooks/tracker';
import { advance, fakeRun, manualClock, report } from './fake-run';

describe('hooks: tracker', () => {
  it('logs the step row and img_per_s every logEvery steps and at the last step', () => {
    const calls: Array<[Record<string, number>, number]> = [];
    const clock = manualClock();
    const hook = new TrackerHook({ logMetrics: (m, step) => void calls.push([m, step]) }, 2, clock.now);
    const ctx = fakeRun(3);
    hook.beforeRun();
    for (const t of [500, 1000, 1250]) {
      clock.set(t);
      advance(ctx);
      hook.afterStep(ctx, report({ loss: t / 1000 }));
    }
    const row = { lr: 1e-3, 'clip/loss': 0.25, 'simclr/loss': 0.5, 'clip/clip_acc': 12.5 };
    assert.deepEqual(calls, [
      [{ loss: 1, ...row, img_per_s: 16 }, 2], // 16 images in 1 s
      [{ loss: 1.25, ...row, img_per_s: 32 }, 3], // the last step: 8 images in 0.25 s
    ]);
  });
});

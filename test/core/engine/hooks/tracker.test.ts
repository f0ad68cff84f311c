import { strict as assert } from 'node:assert';
import { TrackerHook } from '../../../../core/engine/hooks/tracker';
import { advance, fakeRun, report } from './fake-run';

describe('hooks: tracker', () => {
  it('logs the step row and the step\'s img_per_s every logEvery steps and at the last step', () => {
    const calls: Array<[Record<string, number>, number]> = [];
    const hook = new TrackerHook({ logMetrics: (m, step) => void calls.push([m, step]) }, 2);
    const ctx = fakeRun(3);
    for (const [loss, rate] of [[0.5, 10], [1, 16], [1.25, 32]]) {
      advance(ctx);
      hook.afterStep(ctx, report({ loss, imagesPerSecond: rate }));
    }
    const row = { lr: 1e-3, 'clip/loss': 0.25, 'simclr/loss': 0.5, 'clip/clip_acc': 12.5 };
    assert.deepEqual(calls, [
      [{ loss: 1, ...row, img_per_s: 16 }, 2],
      [{ loss: 1.25, ...row, img_per_s: 32 }, 3], // the last step
    ]);
  });
});

import { strict as assert } from 'node:assert';
import { ProgressHook } from '../../../../core/engine/hooks/progress';
import { Progress } from '../../../../core/engine/progress';
import { captureStream } from '../../../helpers/runs';
import { advance, fakeRun, manualClock, report } from './fake-run';

describe('hooks: progress', () => {
  it('off a TTY, prints a line every logEvery steps and at the last, with the step\'s img/s and the ETA', () => {
    const out = captureStream();
    const clock = manualClock();
    const hook = new ProgressHook(new Progress(out, 2), clock.now);
    const ctx = fakeRun(4);
    hook.beforeRun(ctx);
    for (const [t, rate] of [[1000, 7], [2000, 8], [2500, 20], [3000, 16]]) {
      clock.set(t);
      advance(ctx);
      hook.afterStep(ctx, report({ imagesPerSecond: rate }));
    }
    hook.afterRun();
    assert.equal(
      out.text(),
      // The img/s the loop measured for that step; ETA: step 2 at 1 s per step with 2 to go, step 4 none.
      'step 2/4 loss 0.5000 (clip 0.2500, simclr 0.5000) | lr 1.00e-3 | 8.0 img/s | ETA 0m02s\n' +
        'step 4/4 loss 0.5000 (clip 0.2500, simclr 0.5000) | lr 1.00e-3 | 16.0 img/s | ETA 0m00s\n',
    );
  });

  it('after a resume, the ETA counts only this session\'s steps', () => {
    const out = captureStream();
    const clock = manualClock();
    const hook = new ProgressHook(new Progress(out, 1), clock.now);
    const ctx = fakeRun(10, 6);
    hook.beforeRun(ctx);
    clock.set(3000);
    advance(ctx);
    hook.afterStep(ctx, report({ losses: { clip: 0.5 }, images: 6, imagesPerSecond: 2 }));
    assert.equal(out.text(), 'step 7/10 loss 0.5000 | lr 1.00e-3 | 2.0 img/s | ETA 0m09s\n');
  });
});

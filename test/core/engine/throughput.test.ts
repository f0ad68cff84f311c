import { strict as assert } from 'node:assert';
import { Throughput } from '../../../core/engine/throughput';
import { manualClock } from './hooks/fake-run';

describe('throughput window (measured once per step by the training loop)', () => {
  it('measures images per second since the window started, restarting every N steps and at the last', () => {
    const clock = manualClock();
    const t = new Throughput(2, clock.now);
    t.restart(); // t = 0
    clock.set(1000);
    assert.equal(t.record(1, 5, 10), 10); // 10 images in 1 s
    clock.set(1500);
    assert.equal(t.record(2, 5, 10), 20 / 1.5); // 20 images in 1.5 s; the window restarts at step 2
    clock.set(2000);
    assert.equal(t.record(3, 5, 10), 20); // 10 images in 0.5 s
    clock.set(3000);
    assert.equal(t.record(4, 5, 10), 20 / 1.5); // restarts at 4
    clock.set(3100);
    assert.equal(t.record(5, 5, 4), 40); // the last step: 4 images in 0.1 s
  });

  it('never divides by less than a millisecond', () => {
    const clock = manualClock();
    const t = new Throughput(10, clock.now);
    t.restart();
    assert.equal(t.record(1, 10, 3), 3000);
  });
});

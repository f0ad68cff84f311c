import { strict as assert } from 'node:assert';
import { metricsRow } from '../../../../core/engine/hooks/hook';
import { advance, fakeRun, report } from './fake-run';

describe('hooks: the run context and the step row', () => {
  it('tells the step, the session start and whether the last step is done', () => {
    const ctx = fakeRun(5, 3);
    assert.equal(ctx.step, 3);
    assert.equal(ctx.startStep, 3);
    assert.equal(ctx.isLastStep, false);
    advance(ctx);
    advance(ctx);
    assert.deepEqual([ctx.step, ctx.startStep, ctx.isLastStep], [5, 3, true]);
  });

  it('keeps the first stop reason', () => {
    const ctx = fakeRun(5);
    assert.equal(ctx.stopRequested, undefined);
    ctx.requestStop('SIGINT');
    ctx.requestStop('stopAfterSteps 2');
    assert.equal(ctx.stopRequested, 'SIGINT');
  });

  it('merges checkpoint requests (best wins) until one is taken', () => {
    const ctx = fakeRun(5);
    assert.equal(ctx.takeCheckpointRequest(), undefined);
    ctx.requestCheckpoint(true);
    ctx.requestCheckpoint(false);
    assert.deepEqual(ctx.takeCheckpointRequest(), { best: true });
    assert.equal(ctx.takeCheckpointRequest(), undefined);
    ctx.requestCheckpoint(false);
    assert.deepEqual(ctx.takeCheckpointRequest(), { best: false });
  });

  it('a row is loss, lr, each objective\'s loss, then the metrics, in that order', () => {
    const row = metricsRow(report({ metrics: { 'clip/clip_acc': 12.5, grad_norm: 3 } }));
    assert.deepEqual(Object.entries(row), [
      ['loss', 0.5],
      ['lr', 1e-3],
      ['clip/loss', 0.25],
      ['simclr/loss', 0.5],
      ['clip/clip_acc', 12.5],
      ['grad_norm', 3],
    ]);
  });
});

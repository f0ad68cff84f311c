import { strict as assert } from 'node:assert';
import { Evaluation, type EvaluationOptions } from '../../../../core/engine/hooks/evaluation';
import type { RunContext } from '../../../../core/engine/hooks/hook';
import { advance, fakeRun } from './fake-run';

/** An Evaluation whose evaluator returns `scores[step]` as `knn/top1` and records what it printed and tracked. */
function harness(scores: Record<number, number>, over: Partial<EvaluationOptions> = {}) {
  const evaluatedAt: number[] = [];
  const notes: string[] = [];
  const tracked: Array<[Record<string, number>, number]> = [];
  const hook = new Evaluation({
    evaluate: async (step): Promise<Record<string, number>> => {
      evaluatedAt.push(step);
      return step in scores ? { 'knn/top1': scores[step] } : {};
    },
    tracker: { logMetrics: (m, step) => void tracked.push([m, step]) },
    note: (line) => notes.push(line),
    evalEvery: 2,
    bestMetric: 'knn/top1',
    ...over,
  });
  return { hook, evaluatedAt, notes, tracked };
}

async function steps(hook: Evaluation, ctx: RunContext, n: number, onStep: (ctx: RunContext) => void = () => undefined): Promise<void> {
  for (let i = 0; i < n; i++) {
    advance(ctx);
    await hook.afterStep(ctx);
    onStep(ctx);
  }
}

describe('hooks: evaluation', () => {
  it('evaluates every evalEvery steps but not at the last, then once more when the run finishes', async () => {
    const { hook, evaluatedAt, notes, tracked } = harness({ 2: 0.5, 4: 0.625, 5: 0.75 });
    const ctx = fakeRun(5);
    await steps(hook, ctx, 5);
    assert.deepEqual(evaluatedAt, [2, 4]);
    await hook.afterRun(ctx, 'FINISHED');
    assert.deepEqual(evaluatedAt, [2, 4, 5]);
    assert.deepEqual(notes, ['eval @ step 2: knn/top1 0.5000', 'eval @ step 4: knn/top1 0.6250', 'eval @ step 5: knn/top1 0.7500']);
    assert.deepEqual(tracked, [[{ 'knn/top1': 0.5 }, 2], [{ 'knn/top1': 0.625 }, 4], [{ 'knn/top1': 0.75 }, 5]]);
    assert.deepEqual(ctx.evalMetrics, { 'knn/top1': 0.75 });
  });

  it('does not evaluate at the end of a stopped or failed run, and keeps the last metrics', async () => {
    for (const end of ['KILLED', 'FAILED'] as const) {
      const { hook, evaluatedAt } = harness({ 2: 0.5 });
      const ctx = fakeRun(10);
      await steps(hook, ctx, 3);
      await hook.afterRun(ctx, end);
      assert.deepEqual(evaluatedAt, [2]);
      assert.deepEqual(ctx.evalMetrics, { 'knn/top1': 0.5 });
    }
  });

  it('asks for a best checkpoint when bestMetric improves, and records the best', async () => {
    const { hook } = harness({ 2: 0.5, 4: 0.25, 6: 0.75, 7: 0.5 });
    const ctx = fakeRun(7);
    const requests: Array<[number, { best: boolean } | undefined]> = [];
    await steps(hook, ctx, 7, (c) => requests.push([c.step, c.takeCheckpointRequest()]));
    assert.deepEqual(requests.filter(([, r]) => r), [[2, { best: true }], [6, { best: true }]]);
    assert.deepEqual(ctx.state.best, { metric: 'knn/top1', value: 0.75, step: 6 });
    await hook.afterRun(ctx, 'FINISHED'); // 0.5 at the end is no better
    assert.equal(ctx.takeCheckpointRequest(), undefined);
  });

  it('the final evaluation can be the best; without bestMetric nothing is best', async () => {
    const withBest = harness({ 3: 0.9 });
    const ctx = fakeRun(3);
    await steps(withBest.hook, ctx, 3);
    await withBest.hook.afterRun(ctx, 'FINISHED');
    assert.deepEqual(ctx.takeCheckpointRequest(), { best: true });
    const without = harness({ 2: 0.5, 3: 0.9 }, { bestMetric: undefined });
    const ctx2 = fakeRun(3);
    await steps(without.hook, ctx2, 3);
    await without.hook.afterRun(ctx2, 'FINISHED');
    assert.equal(ctx2.takeCheckpointRequest(), undefined);
    assert.equal(ctx2.state.best, undefined);
  });

  it('with no evalEvery, evaluates only at the end; empty metrics are neither printed nor tracked', async () => {
    const { hook, evaluatedAt, notes, tracked } = harness({}, { evalEvery: 0 });
    const ctx = fakeRun(4);
    await steps(hook, ctx, 4);
    await hook.afterRun(ctx, 'FINISHED');
    assert.deepEqual(evaluatedAt, [4]);
    assert.deepEqual([notes, tracked, ctx.evalMetrics], [[], [], {}]);
  });
});

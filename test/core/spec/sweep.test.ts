import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatSweepSummary } from '../../../core/engine/run-sweep';
import { sweepTags } from '../../../core/engine/run-tags';
import { SpecError } from '../../../core/errors';
import { resolveExperiment, resolveExperiments, type LoadedExperiment } from '../../../core/spec/resolve';
import { describeSweepValues, expandSweep, MAX_SWEEP_RUNS } from '../../../core/spec/sweep';
import type { RawSpec } from '../../../core/spec/types';
import { builtinRegistry, specPath, tempDir } from '../../helpers/runs';

/** A spec-shaped object; expandSweep does not validate the rest of the spec. */
const base = (sweep: unknown): RawSpec => ({
  name: 'exp',
  optimizer: { lr: 0.001 },
  objectives: [{ type: 'clip' }, { type: 'simclr', weight: 1 }],
  sweep,
});

/** The SpecError's issues as `path: message` lines. */
function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a SpecError');
}

describe('sweep expansion', () => {
  it('a spec without a sweep block is not a sweep', () => {
    assert.equal(expandSweep({ name: 'x' }), undefined);
  });

  it('grid: every combination, the first path slowest, named <name>-<index>, sweep removed', () => {
    const members = expandSweep(base({ grid: { 'optimizer.lr': [0.001, 0.003], 'objectives[1].weight': [0.5, 1, 2] } }))!;
    assert.equal(members.length, 6);
    assert.deepEqual(
      members.map((m) => [m.spec.name, (m.spec.optimizer as { lr: number }).lr, (m.spec.objectives as Array<{ weight: number }>)[1].weight]),
      [
        ['exp-0', 0.001, 0.5],
        ['exp-1', 0.001, 1],
        ['exp-2', 0.001, 2],
        ['exp-3', 0.003, 0.5],
        ['exp-4', 0.003, 1],
        ['exp-5', 0.003, 2],
      ],
    );
    for (const m of members) {
      assert.equal(m.spec.sweep, undefined);
      assert.equal(m.name, 'exp');
      assert.equal(m.count, 6);
    }
    assert.deepEqual(members[4].values, { 'optimizer.lr': 0.003, 'objectives[1].weight': 1 });
  });

  it('list: one member per entry; a whole block can be swapped; members do not share objects', () => {
    const simclr = { type: 'simclr', temperature: 0.2 };
    const members = expandSweep(base({ list: [{ 'objectives[1]': simclr }, { 'objectives[1]': { type: 'byol' }, 'optimizer.lr': 0.01 }] }))!;
    assert.equal(members.length, 2);
    assert.deepEqual((members[0].spec.objectives as unknown[])[1], simclr);
    assert.notEqual((members[0].spec.objectives as unknown[])[1], simclr);
    assert.deepEqual((members[1].spec.objectives as unknown[])[1], { type: 'byol' });
    assert.equal((members[1].spec.optimizer as { lr: number }).lr, 0.01);
    assert.equal((members[0].spec.optimizer as { lr: number }).lr, 0.001);
  });

  it('list x grid: each entry crossed with the whole grid', () => {
    const members = expandSweep(base({ list: [{ seed: 1 }, { seed: 2 }], grid: { 'optimizer.lr': [0.1, 0.2, 0.3] } }))!;
    assert.deepEqual(
      members.map((m) => [m.spec.seed, (m.spec.optimizer as { lr: number }).lr]),
      [[1, 0.1], [1, 0.2], [1, 0.3], [2, 0.1], [2, 0.2], [2, 0.3]],
    );
  });

  it('a bad sweep block is reported at its path, with what was expected', () => {
    assert.deepEqual(issuesOf(() => expandSweep(base({ gird: {} }))), ['sweep.gird: unknown key; did you mean "grid"?']);
    assert.deepEqual(issuesOf(() => expandSweep(base({}))), ['sweep: must have at least 1 key(s)']);
    assert.deepEqual(issuesOf(() => expandSweep(base({ grid: { 'optimizer.lr': [] } }))), ['sweep.grid["optimizer.lr"]: must have at least 1 item(s), got 0']);
    assert.deepEqual(issuesOf(() => expandSweep(base({ grid: { 'optimizer.lr': 0.1 } }))), ['sweep.grid["optimizer.lr"]: must be array, got 0.1']);
    assert.deepEqual(issuesOf(() => expandSweep(base({ list: [{}] }))), ['sweep.list[0]: must have at least 1 key(s)']);
    assert.deepEqual(issuesOf(() => expandSweep(base([1]))), ['sweep: must be object, got an array of 1']);
  });

  it('a path that cannot be set names the sweep entry', () => {
    assert.deepEqual(issuesOf(() => expandSweep(base({ grid: { 'objectives[5].weight': [1] } }))), [
      'sweep.grid["objectives[5].weight"]: objectives[5].weight: index [5] is out of range (the array has 2 items)',
    ]);
    assert.deepEqual(issuesOf(() => expandSweep(base({ list: [{ 'name.x': 1 }] }))), ['sweep.list[0]["name.x"]: name.x: cannot set inside a string at "name"']);
  });

  it('a path swept by both list and grid is refused', () => {
    assert.deepEqual(issuesOf(() => expandSweep(base({ list: [{ 'optimizer.lr': 1 }], grid: { 'optimizer.lr': [2] } }))), [
      'sweep.list[0]["optimizer.lr"]: is also swept by sweep.grid["optimizer.lr"]',
    ]);
  });

  it(`refuses more than ${MAX_SWEEP_RUNS} runs`, () => {
    const many = Array.from({ length: 17 }, (_, i) => i);
    assert.deepEqual(issuesOf(() => expandSweep(base({ grid: { a: many, b: many } }))), [
      `sweep: expands to 289 runs (1 list entries x 289 grid combinations), more than ${MAX_SWEEP_RUNS}`,
    ]);
  });
});

describe('resolving sweep specs', () => {
  let dir: string;
  const write = (name: string, spec: object): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify(spec));
    return file;
  };
  before(() => {
    dir = tempDir('sweep');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('validates every member with defaults filled and keeps each one’s sweep position', () => {
    const file = write('grid.json', { extends: specPath('tiny-slip.json'), sweep: { grid: { 'objectives[1].temperature': [0.1, 0.2] } } });
    const runs = resolveExperiments(file, builtinRegistry());
    assert.equal(runs.length, 2);
    assert.deepEqual(runs.map((r) => [r.spec.name, r.spec.objectives[1].temperature, r.spec.objectives[1].weight]), [
      ['tiny-slip-0', 0.1, 1],
      ['tiny-slip-1', 0.2, 1],
    ]);
    assert.deepEqual(runs[1].sweep, { name: 'tiny-slip', index: 1, count: 2, values: { 'objectives[1].temperature': 0.2 } });
    assert.equal(runs[0].file, file);
  });

  it('an invalid member is named with its values', () => {
    const file = write('bad.json', { extends: specPath('tiny-slip.json'), sweep: { grid: { 'objectives[1].temperature': [0.1, -1] } } });
    assert.throws(
      () => resolveExperiments(file, builtinRegistry()),
      (err: Error) => err instanceof SpecError && /sweep member 1: objectives\[1\]\.temperature=-1\): objectives\[1\]\.temperature: must be > 0, got -1/.test(err.message),
    );
  });

  it('--set applies before the sweep expands: sweep=null leaves one plain run', () => {
    const file = write('off.json', { extends: specPath('tiny-slip.json'), sweep: { grid: { seed: [1, 2] } } });
    const runs = resolveExperiments(file, builtinRegistry(), ['sweep=null']);
    assert.equal(runs.length, 1);
    assert.equal(runs[0].sweep, undefined);
    assert.equal(runs[0].spec.name, 'tiny-slip');
  });

  it('single-run commands refuse a sweep and say how to pick one run', () => {
    const file = write('single.json', { extends: specPath('tiny-slip.json'), sweep: { grid: { seed: [1, 2, 3] } } });
    assert.throws(() => resolveExperiment(file, builtinRegistry()), /sweep: this spec is a sweep of 3 runs; .*--set sweep=null/);
  });
});

describe('sweep tags', () => {
  it('group a sweep\'s runs in the tracker and say what each varied; none outside a sweep', () => {
    assert.deepEqual(sweepTags(undefined), {});
    assert.deepEqual(sweepTags({ name: 'lr-sweep', index: 2, count: 6, values: { 'optimizer.lr': 0.003 } }), {
      'slipkit.sweep': 'lr-sweep',
      'slipkit.sweep.member': '2/6',
      'slipkit.sweep.values': '{"optimizer.lr":0.003}',
    });
  });
});

describe('sweep summaries', () => {
  const member = (index: number, values: Record<string, unknown>): LoadedExperiment =>
    ({ spec: { name: `s-${index}` }, file: 's.json', baseDir: '.', sweep: { name: 's', index, count: 2, values } }) as unknown as LoadedExperiment;

  it('describes swept values in full, or compactly with plugin blocks shown by type', () => {
    const values = { 'objectives[1]': { type: 'mocov3', temperature: 0.2 }, 'optimizer.lr': 0.001 };
    assert.equal(describeSweepValues(values), 'objectives[1]={"type":"mocov3","temperature":0.2}, optimizer.lr=0.001');
    assert.equal(describeSweepValues(values, true), 'objectives[1]=mocov3{…}, optimizer.lr=0.001');
  });

  it('shows each member\'s status, values, top-1 metrics and run directory or error', () => {
    const text = formatSweepSummary([
      { experiment: member(0, { seed: 1 }), status: 'FINISHED', result: { status: 'FINISHED', runDir: '/r/s-0', metrics: { 'knn/top1': 0.75, 'knn/top5': 0.98 }, lossCurve: [] } },
      { experiment: member(1, { seed: 2 }), status: 'FAILED', error: new Error('data.train: manifest not found\nmore') },
    ]);
    assert.equal(
      text,
      "sweep summary (2 runs; every metric is in each run's metrics.jsonl and tracker):\n" +
        's-0  FINISHED  seed=1  knn/top1 0.7500  /r/s-0\n' +
        's-1  FAILED    seed=2  (data.train: manifest not found)\n',
    );
  });
});

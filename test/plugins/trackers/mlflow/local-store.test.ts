import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readFlatYaml, writeFlatYaml } from '../../../../plugins/trackers/mlflow/flat-yaml';
import { readRunState } from '../../../../plugins/trackers/mlflow/run-state';
import { MLFLOW_PYTHON, requireMlflowInstall } from '../../../helpers/mlflow-server';
import { repoRoot } from '../../../helpers/paths';
import { buildMlflowTracker, ENGINE_TAGS, MemoryLog, runCli, tempDir } from '../tracker-fixtures';

interface MlflowView {
  experiment: string;
  run_id: string;
  name: string;
  status: string;
  start_time: number;
  end_time: number | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, [number, number, number | string][]>;
  artifacts: [string, number][];
}

/** What MLflow's own FileStore client reads from the store (the independent check). */
function readWithMlflow(store: string): MlflowView[] {
  requireMlflowInstall();
  const script = path.join(repoRoot, 'test', 'plugins', 'trackers', 'mlflow', 'read-filestore.py');
  const out = execFileSync(MLFLOW_PYTHON, [script, store], { env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out) as MlflowView[];
}

/** Runs `fn` with MLFLOW_TRACKING_URI unset (so the tracker picks the local store), then restores it. */
async function withoutTrackingUri(fn: () => Promise<void>): Promise<void> {
  const saved = process.env.MLFLOW_TRACKING_URI;
  delete process.env.MLFLOW_TRACKING_URI;
  try {
    await fn();
  } finally {
    if (saved !== undefined) process.env.MLFLOW_TRACKING_URI = saved;
  }
}

describe('mlflow tracker: the embedded local store', function () {
  this.timeout(60_000);
  let root: string;
  let store: string;

  before(() => {
    root = tempDir('local-store');
    store = path.join(root, 'mlruns');
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('writes runs MLflow itself reads back, and continues a resumed run', async () => {
    const mem = new MemoryLog();
    const runDir = path.join(root, 'run-a');
    const opts = { localDir: store, experiment: 'local-exp', flushIntervalMs: 20 };
    await withoutTrackingUri(async () => {
      const t = buildMlflowTracker(opts, mem.logger);
      await t.start({ runDir, name: 'tiny', experiment: 'x', resumed: false });
      await t.logParams({ 'objectives.1.temperature': '0.1', 'optimizer.betas': '[0.9,0.98]', long: 'z'.repeat(7000) });
      await t.setTags(ENGINE_TAGS);
      for (let step = 0; step < 5; step++) t.logMetrics({ loss: 1 / (step + 1), 'zero-shot/top1': step === 4 ? 0.25 : NaN }, step, 1_000 + step);
      const png = path.join(root, 'loss.png');
      fs.writeFileSync(png, Buffer.from('not really a png'));
      await t.logArtifact(png, 'plots/loss.png');
      await t.end('KILLED');

      const resumed = buildMlflowTracker(opts, mem.logger);
      await resumed.start({ runDir, name: 'tiny', experiment: 'x', resumed: true });
      await resumed.logParams({ 'objectives.1.temperature': '0.1' });
      for (let step = 5; step < 8; step++) resumed.logMetrics({ loss: 1 / (step + 1) }, step, 1_000 + step);
      await resumed.end('FINISHED');
    });

    const runs = readWithMlflow(store);
    assert.equal(runs.length, 1, 'the resumed run is the same run');
    const run = runs[0];
    assert.equal(run.run_id, readRunState(runDir)?.runId);
    assert.equal(run.experiment, 'local-exp');
    assert.equal(run.name, 'tiny');
    assert.equal(run.status, 'FINISHED');
    assert.ok(run.end_time !== null && run.end_time >= run.start_time);
    assert.deepEqual(run.params, { 'objectives.1.temperature': '0.1', 'optimizer.betas': '[0.9,0.98]', long: 'z'.repeat(6000) });
    for (const [k, v] of Object.entries(ENGINE_TAGS)) assert.equal(run.tags[k], v);
    assert.equal(run.tags['mlflow.runName'], 'tiny');
    assert.deepEqual(run.metrics.loss, Array.from({ length: 8 }, (_, s) => [s, 1_000 + s, 1 / (s + 1)]));
    assert.deepEqual(run.metrics['zero-shot/top1'], [[0, 1000, 'nan'], [1, 1001, 'nan'], [2, 1002, 'nan'], [3, 1003, 'nan'], [4, 1004, 0.25]]);
    assert.deepEqual(run.artifacts, [['plots/loss.png', 16]]);
    assert.equal(mem.matching(/param long is longer than 6000 characters/).length, 1);
  });

  it('a resumed run does not log again the steps the interrupted one already wrote out (per metric key)', async () => {
    const mem = new MemoryLog();
    const runDir = path.join(root, 'run-resume');
    const ownStore = path.join(root, 'mlruns-resume');
    const opts = { localDir: ownStore, experiment: 'resume-exp', flushIntervalMs: 20 };
    await withoutTrackingUri(async () => {
      // Interrupted after step 5; its last checkpoint was step 3. No eval had run yet.
      const first = buildMlflowTracker(opts, mem.logger);
      await first.start({ runDir, name: 'resumable', experiment: 'x', resumed: false });
      for (let step = 0; step <= 5; step++) first.logMetrics({ loss: 10 + step }, step, 2_000 + step);
      await first.end('KILLED');
      assert.deepEqual(readRunState(runDir)?.metricSteps, { loss: 5 });
      // The resumed run recomputes steps 4 and 5 (here with other values), then goes on and evaluates at step 5.
      const resumed = buildMlflowTracker(opts, mem.logger);
      await resumed.start({ runDir, name: 'resumable', experiment: 'x', resumed: true });
      for (let step = 4; step <= 7; step++) resumed.logMetrics({ loss: 20 + step, ...(step === 5 ? { 'knn/top1': 0.5 } : {}) }, step, 3_000 + step);
      await resumed.end('FINISHED');
    });
    const [run] = readWithMlflow(ownStore);
    assert.deepEqual(run.metrics.loss, [
      [0, 2000, 10], [1, 2001, 11], [2, 2002, 12], [3, 2003, 13], [4, 2004, 14], [5, 2005, 15],
      [6, 3006, 26], [7, 3007, 27],
    ]);
    assert.deepEqual(run.metrics['knn/top1'], [[5, 3005, 0.5]]);
    assert.equal(mem.matching(/2 metric point\(s\) at steps the interrupted run had already logged were not sent again/).length, 1);
  });

  it('lists local runs with name, status and key metrics (slipkit runs)', async () => {
    const t = buildMlflowTracker({ localDir: store, experiment: 'other-exp', flushIntervalMs: 20 }, new MemoryLog().logger);
    await t.start({ runDir: path.join(root, 'run-b'), name: 'second', experiment: 'x', resumed: false });
    t.logMetrics({ loss: 3, 'knn/top1': 0.5, img_per_s: 10 }, 0, Date.now());
    t.logMetrics({ loss: 2 }, 1, Date.now());
    await t.end('FAILED', 'TrainingError: loss is NaN');

    const table = await runCli(['runs', '--dir', store]);
    assert.equal(table.code, 0, table.err);
    const lines = table.out.trim().split('\n');
    assert.match(lines[0], /^RUN\s+EXPERIMENT\s+NAME\s+STATUS\s+STARTED\s+TOOK\s+METRICS$/);
    assert.equal(lines.length, 3);
    const tiny = lines.find((l) => l.includes(' tiny '));
    const second = lines.find((l) => l.includes(' second '));
    assert.match(tiny ?? '', /local-exp\s+tiny\s+FINISHED .* loss=0\.125 zero-shot\/top1=0\.25/);
    assert.match(second ?? '', /other-exp\s+second\s+FAILED .* loss=2 knn\/top1=0\.5 img_per_s=10/);

    const json = await runCli(['runs', '--dir', store, '--experiment', 'other-exp', '--json']);
    const rows = JSON.parse(json.out) as { name: string; status: string; metrics: Record<string, number> }[];
    assert.deepEqual(rows.map((r) => [r.name, r.status, r.metrics]), [['second', 'FAILED', { img_per_s: 10, 'knn/top1': 0.5, loss: 2 }]]);
    const tags = readWithMlflow(store).find((r) => r.name === 'second')?.tags;
    assert.equal(tags?.['slipkit.error'], 'TrainingError: loss is NaN');

    const empty = await runCli(['runs', '--dir', path.join(root, 'nowhere')]);
    assert.equal(empty.code, 0);
    assert.match(empty.out, /^no runs in /);
  });

  it('reads and writes meta.yaml scalars as MLflow does', () => {
    const text = writeFlatYaml({ experiment_id: '0', name: "it's", end_time: null, status: 3, tags: [] });
    assert.equal(text, "end_time: null\nexperiment_id: '0'\nname: 'it''s'\nstatus: 3\ntags: []\n");
    assert.deepEqual(readFlatYaml(text), { experiment_id: '0', name: "it's", end_time: null, status: 3, tags: [] });
    assert.deepEqual(readFlatYaml("artifact_uri: file:///tmp/x\nrun_name: \"a b\"\nstart_time: 1795897174235\n"), {
      artifact_uri: 'file:///tmp/x',
      run_name: 'a b',
      start_time: 1795897174235,
    });
  });
});

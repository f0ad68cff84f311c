/**
 * A spec, a run and a checkpoint load the same from any working directory: the real CLI in
 * child processes, each started in a different folder from the spec's. Synthetic data (the
 * fixture plugins of test/fixtures/plugins, named by the spec relative to its own folder).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../helpers/paths';
import { specPath, tempDir } from '../../helpers/runs';

interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

function slipkit(cwd: string, ...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'slipkit.js'), '-q', ...args], { cwd, encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The `name value` metric lines a run or an eval prints. */
const metricLines = (out: string): string[] => out.split('\n').filter((l) => /^knn\/top1 \d\.\d{4}$/.test(l));

describe('specs, runs and checkpoints reload from any working directory (real CLI, external plugins)', function () {
  this.timeout(180000);
  const knn = 'eval=[{"type":"knn","k":3,"topK":[1],"trainDataset":{"type":"noise-squares","count":24},"dataset":{"type":"noise-squares","count":12}}]';
  let dir: string;
  let runDir: string;
  let trained: CliResult;
  const cwd = (name: string): string => {
    const d = path.join(dir, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };

  before(() => {
    dir = tempDir('anywhere');
    runDir = path.join(dir, 'runs', 'ext');
    const from = cwd('start');
    trained = slipkit(from, 'run', path.relative(from, specPath('external-plugins.json')), '--set', 'train.steps=3', '--set', knn, '--run-dir', runDir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('run: trains from a folder that is not the spec\'s and prints its eval metrics', () => {
    assert.equal(trained.code, 0, trained.err);
    assert.equal(metricLines(trained.out).length, 1, trained.out);
  });

  it('eval <run-dir> from another folder: exit 0, the metrics the run printed', () => {
    const from = cwd('elsewhere');
    const r = slipkit(from, 'eval', path.relative(from, runDir));
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(metricLines(r.out), metricLines(trained.out));
  });

  it('eval <checkpoint-dir> from a third folder: exit 0, the same metrics', () => {
    const last = JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoints', 'last.json'), 'utf8')) as { dir: string };
    const r = slipkit(cwd('third'), 'eval', path.join(runDir, 'checkpoints', last.dir));
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(metricLines(r.out), metricLines(trained.out));
  });

  it('the saved spec records an absolute base directory and absolute plugin paths', () => {
    const saved = JSON.parse(fs.readFileSync(path.join(runDir, 'spec.resolved.json'), 'utf8')) as { baseDir: string; plugins: string[] };
    assert.equal(saved.baseDir, path.dirname(specPath('external-plugins.json')));
    assert.deepEqual(saved.plugins, [fixturePlugin('tiny-plugins.js'), fixturePlugin('centering-objective.ts')]);
  });

  it('preview of a spec with external plugins from another folder writes its PNG', () => {
    const from = cwd('preview');
    const r = slipkit(from, 'preview', path.relative(from, specPath('external-plugins.json')), '--n', '2', '--out', 'grid.png');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^wrote grid\.png: 2 samples x 2 columns \(original, plain#0\)\n$/);
    assert.ok(fs.statSync(path.join(from, 'grid.png')).size > 0);
  });
});

function fixturePlugin(name: string): string {
  return path.join(repoRoot, 'test', 'fixtures', 'plugins', name);
}

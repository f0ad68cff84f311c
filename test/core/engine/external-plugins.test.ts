import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PluginError, SpecError } from '../../../core/errors';
import { runExperiment, resumeRun } from '../../../core/engine/run';
import { PluginRegistry } from '../../../core/plugins/registry';
import { loadExternalPlugins } from '../../../core/plugins/load-external';
import { resolveExperiment } from '../../../core/spec/resolve';
import { captureStream, quietLog, specPath, tempDir } from '../../helpers/runs';

// Synthetic data only: the fixture plugins in test/fixtures/plugins draw random squares.
describe('external plugins and the training engine (fixture plugins, synthetic data)', function () {
  this.timeout(120000);
  const spec = specPath('external-plugins.json');
  let dir: string;
  beforeEach(() => (dir = tempDir('engine')));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('registers plugins from a spec (a .js file and a .ts injectable class) under their file as source', () => {
    const registry = new PluginRegistry();
    resolveExperiment(spec, registry);
    const sources = registry.entries('objective').map((e) => `${e.definition.name} <- ${path.basename(e.source)}`);
    assert.deepEqual(sources, ['centering <- centering-objective.ts', 'feature-l2 <- tiny-plugins.js']);
    assert.ok(registry.has('imageEncoder', 'mean-pool-linear') && registry.has('dataset', 'noise-squares'));
  });

  it('validates their options with their schemas, like built-ins', () => {
    assert.throws(
      () => resolveExperiment(spec, new PluginRegistry(), ['objectives[1].target="high"', 'objectives[0].scale=0']),
      (e: unknown) =>
        e instanceof SpecError &&
        e.issues.some((i) => i.path === 'objectives[1].target' && i.message === 'must be number, got string "high"') &&
        e.issues.some((i) => i.path === 'objectives[0].scale' && i.message === 'must be > 0, got 0'),
    );
  });

  it('refuses a plugin that a second file registers again, naming both files', () => {
    const registry = new PluginRegistry();
    const base = path.dirname(spec);
    loadExternalPlugins(registry, ['../plugins/tiny-plugins.js'], base);
    loadExternalPlugins(registry, ['../plugins/tiny-plugins.js'], base); // same file again: a no-op
    const copy = path.join(dir, 'copy.js');
    fs.writeFileSync(copy, `module.exports = require(${JSON.stringify(path.resolve(base, '../plugins/tiny-plugins.js'))});`);
    assert.throws(() => loadExternalPlugins(registry, [copy], base), (e: unknown) => e instanceof PluginError && e.message.includes('registered twice: first by') && e.message.includes('tiny-plugins.js') && e.message.includes('copy.js'));
  });

  it('names a missing plugin file or package', () => {
    assert.throws(() => loadExternalPlugins(new PluginRegistry(), ['./nope.js'], dir), /plugins\[0\]: plugin file not found: .*nope\.js/);
    assert.throws(() => loadExternalPlugins(new PluginRegistry(), ['no-such-slipkit-plugin'], dir), /plugins\[0\]: plugin package "no-such-slipkit-plugin" is not installed/);
  });

  it('trains with them: loss falls, checkpoints and metrics are written, tensor count stays flat', async () => {
    const registry = new PluginRegistry();
    const loaded = resolveExperiment(spec, registry, ['train.steps=8']);
    const counts: number[] = [];
    const result = await runExperiment(loaded, registry, { runDir: path.join(dir, 'run'), stdout: captureStream(), log: quietLog, onStepEnd: () => counts.push(tf.memory().numTensors) });
    assert.equal(result.status, 'FINISHED', result.error?.message);
    assert.equal(result.lossCurve.length, 8);
    assert.ok(result.lossCurve[7] < result.lossCurve[0], `loss ${result.lossCurve[0]} -> ${result.lossCurve[7]}`);
    assert.deepEqual(new Set(counts.slice(1)).size, 1, `tensor counts per step: ${counts}`);
    const rows = fs.readFileSync(path.join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => r.step), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok('feature-l2/loss' in rows[0] && 'centering/loss' in rows[0] && 'feature-l2/feature_norm' in rows[0]);
    assert.ok(fs.existsSync(path.join(dir, 'run', 'checkpoints', 'last.json')));
  });

  it('resumes an interrupted run to the same loss curve, bit for bit (cpu backend)', async () => {
    const registry = new PluginRegistry();
    const loaded = () => resolveExperiment(spec, registry, ['train.steps=7', 'data.train.count=12']);
    const straight = await runExperiment(loaded(), registry, { runDir: path.join(dir, 'a'), stdout: captureStream(), log: quietLog });
    const first = await runExperiment(loaded(), registry, { runDir: path.join(dir, 'b'), stdout: captureStream(), log: quietLog, stopAfterSteps: 3 });
    assert.equal(first.status, 'KILLED');
    const resumed = await resumeRun(path.join(dir, 'b'), registry, { stdout: captureStream(), log: quietLog });
    assert.equal(resumed.status, 'FINISHED', resumed.error?.message);
    assert.deepEqual(resumed.lossCurve, straight.lossCurve);
    const rows = fs.readFileSync(path.join(dir, 'b', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
    assert.deepEqual(rows, [1, 2, 3, 4, 5, 6, 7]);
  });

  it('stops on a NaN loss, naming the step and the objective, and keeps the last good checkpoint', async () => {
    const registry = new PluginRegistry();
    const loaded = resolveExperiment(spec, registry, ['train.steps=6', 'train.checkpointEvery=2', 'objectives[0].nanAtStep=3']);
    const result = await runExperiment(loaded, registry, { runDir: path.join(dir, 'nan'), stdout: captureStream(), log: quietLog });
    assert.equal(result.status, 'FAILED');
    assert.match(result.error!.message, /^step 3: the loss of objective "feature-l2" is NaN/);
    const last = JSON.parse(fs.readFileSync(path.join(dir, 'nan', 'checkpoints', 'last.json'), 'utf8'));
    assert.equal(last.step, 2);
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'nan', 'run.json'), 'utf8'));
    assert.equal(record.status, 'FAILED');
  });
});

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runExperiment } from '../../../core/engine/run';
import { definePlugin } from '../../../core/plugins/define';
import { PluginRegistry } from '../../../core/plugins/registry';
import { resolveExperiment } from '../../../core/spec/resolve';
import { recordingTracker } from '../../helpers/recording-tracker';
import { captureStream, quietLog, specPath, tempDir } from '../../helpers/runs';

/** An evaluator whose score at each step is scripted, so the best step is known in advance. */
const SCORES: Record<number, number> = { 2: 0.5, 4: 0.25, 6: 0.75 };
const scripted = definePlugin({
  kind: 'evaluator',
  name: 'scripted',
  description: 'test evaluator: a fixed score per step',
  schema: { type: 'object', properties: {} },
  create: () => ({ evaluate: async (_model, ctx) => ({ score: SCORES[ctx.step] ?? 0 }) }),
});

/** A tracker that records the steps and names of the metrics it is sent. */
let tracked: string[] = [];
const recording = recordingTracker((m, step) => tracked.push(`${step}: ${Object.keys(m).includes('img_per_s') ? 'step row' : Object.keys(m).join(',')}`));

// Synthetic data (the fixture plugins); six steps with evaluation every 2 and a checkpoint every 4.
describe('the trainer\'s hooks in a run (fixture plugins, synthetic data)', function () {
  this.timeout(120000);
  let dir: string;
  beforeEach(() => (dir = tempDir('trainer')));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function load() {
    const registry = new PluginRegistry();
    registry.register(scripted, 'trainer.test.ts');
    registry.register(recording, 'trainer.test.ts');
    tracked = [];
    const loaded = resolveExperiment(specPath('external-plugins.json'), registry, ['eval=[{"type":"scripted"}]', 'train.evalEvery=2', 'train.checkpointEvery=4', 'train.bestMetric="scripted/score"', 'tracking={"type":"recording"}']);
    return { registry, loaded };
  }

  const pointer = (runDir: string, which: string) => (JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoints', `${which}.json`), 'utf8')) as { step: number }).step;

  it('evaluates on cadence and at the end, checkpoints the best and every 4 steps, and reports the final metrics', async () => {
    const { registry, loaded } = load();
    const runDir = path.join(dir, 'run');
    const stdout = captureStream();
    // Before the hooks of step s run: the checkpoints of steps up to s − 1.
    const pointers: Record<number, [number, number]> = {};
    const onStepEnd = (s: number) => {
      if (s > 2) pointers[s] = [pointer(runDir, 'last'), pointer(runDir, 'best')];
    };
    const result = await runExperiment(loaded, registry, { runDir, stdout, log: quietLog, onStepEnd });
    assert.equal(result.status, 'FINISHED', result.error?.message);
    assert.deepEqual(pointers, { 3: [2, 2], 4: [2, 2], 5: [4, 2], 6: [4, 2] });
    assert.deepEqual([pointer(runDir, 'last'), pointer(runDir, 'best')], [6, 6]);
    assert.deepEqual(result.metrics, { 'scripted/score': 0.75 });
    const notes = stdout.text().split('\n').filter((l) => l.startsWith('eval @'));
    assert.deepEqual(notes, ['eval @ step 2: scripted/score 0.5000', 'eval @ step 4: scripted/score 0.2500', 'eval @ step 6: scripted/score 0.7500']);
    assert.match(stdout.text(), /\nscripted\/score 0\.7500\n$/);
    const steps = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(tracked, ['2: step row', '2: scripted/score', '4: step row', '4: scripted/score', '6: step row', '6: scripted/score']);
  });

  it('a stop after 3 steps: one checkpoint at step 3, KILLED, the last evaluation\'s metrics, no final evaluation', async () => {
    const { registry, loaded } = load();
    const runDir = path.join(dir, 'run');
    const stdout = captureStream();
    const result = await runExperiment(loaded, registry, { runDir, stdout, log: quietLog, stopAfterSteps: 3 });
    assert.equal(result.status, 'KILLED');
    assert.deepEqual([pointer(runDir, 'last'), pointer(runDir, 'best')], [3, 2]);
    assert.deepEqual(result.metrics, { 'scripted/score': 0.5 });
    assert.deepEqual(stdout.text().split('\n').filter((l) => l.startsWith('eval @')), ['eval @ step 2: scripted/score 0.5000']);
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')).status, 'KILLED');
  });
});

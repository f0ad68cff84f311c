import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runExperiment, type RunResult } from '../../../core/engine/run';
import { definePlugin } from '../../../core/plugins/define';
import { PluginRegistry } from '../../../core/plugins/registry';
import { resolveExperiment } from '../../../core/spec/resolve';
import { recordingTracker } from '../../helpers/recording-tracker';
import { captureStream, quietLog, specPath, tempDir } from '../../helpers/runs';

/** How many times the objective below has computed: the steps the loop has taken so far. */
let computed = 0;

/** The fixture's feature-l2 objective, counting its computes (and NaN from a step on, if asked). */
const counting = definePlugin({
  kind: 'objective',
  name: 'counting-l2',
  description: 'test objective: mean squared L2 norm of the features, counting its calls',
  schema: { type: 'object', properties: { views: { type: 'array', items: { type: 'string' }, default: ['plain'] }, nanAtStep: { type: 'integer', minimum: 0 } } },
  create: (options: { views: string[]; nanAtStep?: number }) => ({
    views: options.views,
    usesText: false,
    variables: () => [],
    compute: (inputs: { features(i: number): tf.Tensor2D; step: number }) => {
      computed++;
      const loss = tf.tidy(() => {
        const l = tf.mean(tf.sum(tf.square(inputs.features(0)), 1)) as tf.Scalar;
        return options.nanAtStep !== undefined && inputs.step >= options.nanAtStep ? (tf.mul(l, NaN) as tf.Scalar) : l;
      });
      return { loss, metrics: { feature_norm: tf.tidy(() => tf.mean(tf.norm(inputs.features(0), 'euclidean', 1)) as tf.Scalar) } };
    },
  }),
});

/** A scripted evaluator (its score at each step) and a tracker that remembers what it was sent. */
const scripted = definePlugin({
  kind: 'evaluator',
  name: 'scripted',
  description: 'test evaluator: a fixed score per step',
  schema: { type: 'object', properties: {} },
  create: () => ({ evaluate: async (_model: unknown, ctx: { step: number }) => ({ score: [0.5, 0.25, 0.75, 0.6][ctx.step / 4 - 1] ?? 0 }) }),
});
let tracked: string[] = [];
const recording = recordingTracker((m, step) => tracked.push(`${step}: ${JSON.stringify(Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'img_per_s')))}`));

/**
 * The loop's deferred reads (TrainerOptions.deferFigureReads, on for webgpu, where a read
 * waits for the device queue): the steps' figures are read in one go at the steps a hook
 * needs them, and the run is the same as one that reads every step. Synthetic data (the
 * fixture plugins' noise squares) on the cpu backend.
 */
describe('deferred figure reads in the training loop (fixture plugins, synthetic data)', function () {
  this.timeout(120000);
  let dir: string;
  beforeEach(() => (dir = tempDir('deferred')));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function load(overrides: string[]) {
    const registry = new PluginRegistry();
    registry.register(counting, 'deferred-figures.test.ts');
    registry.register(scripted, 'deferred-figures.test.ts');
    registry.register(recording, 'deferred-figures.test.ts');
    return { registry, loaded: resolveExperiment(specPath('external-plugins.json'), registry, ['objectives=[{"type":"counting-l2"},{"type":"centering","target":0.1}]', 'optimizer.clipGradNorm=1', ...overrides]) };
  }

  /** Runs the spec and notes, as each step's afterStep hooks run, how many steps had been computed and the live tensor count. */
  async function run(name: string, overrides: string[], deferFigureReads: boolean): Promise<{ result: RunResult; seenAt: number[]; tensors: number[]; runDir: string }> {
    const { registry, loaded } = load(overrides);
    const runDir = path.join(dir, name);
    const seenAt: number[] = [];
    const tensors: number[] = [];
    computed = 0;
    const result = await runExperiment(loaded, registry, { runDir, stdout: captureStream(), log: quietLog, deferFigureReads, onStepEnd: () => (seenAt.push(computed), tensors.push(tf.memory().numTensors)) });
    return { result, seenAt, tensors, runDir };
  }

  it('reads only every logEvery steps (progress, tracker), at a checkpoint step and at the last step, all pending steps in order, with a flat tensor count', async () => {
    const { result, seenAt, tensors } = await run('deferred', ['train.steps=11', 'train.logEvery=4', 'train.checkpointEvery=6'], true);
    assert.equal(result.status, 'FINISHED', result.error?.message);
    // Steps 1-4 are recorded after step 4 is computed, 5-6 after 6 (a checkpoint), 7-8 after 8, 9-11 at the end.
    assert.deepEqual(seenAt, [4, 4, 4, 4, 6, 6, 8, 8, 11, 11, 11]);
    assert.deepEqual(tensors, tensors.map(() => tensors[0]), `tensor counts ${tensors}`);
    const immediate = await run('immediate', ['train.steps=11', 'train.logEvery=4', 'train.checkpointEvery=6'], false);
    assert.deepEqual(immediate.seenAt, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('gives the run that reads every step: loss curve, metrics rows, tracked figures, evaluations and best/last checkpoints', async () => {
    const overrides = ['train.steps=14', 'train.logEvery=3', 'train.evalEvery=4', 'train.checkpointEvery=5', 'train.bestMetric="scripted/score"', 'eval=[{"type":"scripted"}]', 'tracking={"type":"recording"}'];
    tracked = [];
    const deferred = await run('deferred', overrides, true);
    const deferredTracked = tracked;
    tracked = [];
    const immediate = await run('immediate', overrides, false);
    assert.equal(deferred.result.status, 'FINISHED', deferred.result.error?.message);
    assert.deepEqual(deferred.result.lossCurve, immediate.result.lossCurve);
    const rows = (r: { runDir: string }) => fs.readFileSync(path.join(r.runDir, 'metrics.jsonl'), 'utf8');
    assert.equal(rows(deferred), rows(immediate));
    assert.match(rows(deferred), /"grad_norm":/);
    assert.deepEqual(deferredTracked, tracked);
    assert.deepEqual(deferred.result.metrics, immediate.result.metrics);
    const pointer = (r: { runDir: string }, which: string) => JSON.parse(fs.readFileSync(path.join(r.runDir, 'checkpoints', `${which}.json`), 'utf8')).step;
    assert.deepEqual([pointer(deferred, 'last'), pointer(deferred, 'best')], [pointer(immediate, 'last'), pointer(immediate, 'best')]);
    assert.deepEqual([pointer(deferred, 'last'), pointer(deferred, 'best')], [14, 12]);
    // Reads at 3, 4 (evaluation), 5 (checkpoint), 6, 8, 9, 10, 12, 14: never more than 2 steps behind here.
    assert.deepEqual(deferred.seenAt, [3, 3, 3, 4, 5, 6, 8, 8, 9, 10, 12, 12, 14, 14]);
  });

  it('a NaN at a step read late fails the run naming that step; nothing after it is recorded, and the last good checkpoint stays', async () => {
    const { result, runDir } = await run('nan', ['train.steps=12', 'train.logEvery=6', 'train.checkpointEvery=3', 'objectives[0].nanAtStep=4'], true);
    assert.equal(result.status, 'FAILED');
    assert.match(result.error!.message, /^step 4: the loss of objective "counting-l2" is NaN/);
    const steps = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
    assert.deepEqual(steps, [1, 2, 3, 4]);
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoints', 'last.json'), 'utf8')).step, 3);
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')).status, 'FAILED');
  });
});

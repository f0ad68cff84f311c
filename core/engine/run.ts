import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readsWaitForDevice } from '../backend/types';
import { writeFileAtomic } from '../checkpoint/atomic';
import { CheckpointStore } from '../checkpoint/store';
import type { RunStatus } from '../contracts/tracker';
import { SlipkitError, TrainingError } from '../errors';
import { log as rootLog, type Logger } from '../logger';
import type { PluginRegistry } from '../plugins/registry';
import { flattenSpec } from '../spec/flatten';
import { resolveExperiment, type LoadedExperiment } from '../spec/resolve';
import type { SweepPosition } from '../spec/sweep';
import { buildExperiment } from './experiment';
import { renderLossCurve } from './loss-plot';
import { runTags, sweepTags } from './run-tags';
import { SafeTracker } from './safe-tracker';
import { Trainer, type TrainerOptions } from './trainer';
import { openWorld } from '../distributed/open-world';
import { broadcastString } from '../distributed/tensor-collectives';
import { isLeader, type World } from '../distributed/world';

export interface RunOptions extends Pick<TrainerOptions, 'stdout' | 'stopAfterSteps' | 'onStepEnd' | 'deferFigureReads'> {
  /** Run directory; default `<outDir>/<name>-<timestamp>` under the current directory. */
  runDir?: string;
  log?: Logger;
  /** The ranks of a data-parallel run; default: the world the launcher started (one process without one). */
  world?: World;
}

export interface RunResult {
  status: Exclude<RunStatus, 'RUNNING'>;
  runDir: string;
  /** Last evaluation's metrics ("zero-shot/top1": 0.81). */
  metrics: Record<string, number>;
  lossCurve: number[];
  error?: Error;
}

/** Files a run directory holds besides checkpoints. */
export const RUN_FILES = { spec: 'spec.resolved.json', run: 'run.json', metrics: 'metrics.jsonl', lossPlot: 'loss.png' } as const;

interface RunRecord {
  status: RunStatus;
  specFile: string;
  baseDir: string;
  backend?: string;
  /** The run's place in its sweep, so that a resumed member keeps its tags. */
  sweep?: SweepPosition;
  startedAt: string;
  /** Ranks of a data-parallel run (absent: one process). */
  worldSize?: number;
  endedAt?: string;
  error?: string;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

function writeRecord(runDir: string, record: RunRecord): void {
  writeFileAtomic(path.join(runDir, RUN_FILES.run), JSON.stringify(record, null, 2));
}

/** Drops metric rows past the checkpoint a resumed run continues from, so the file has each step once. */
function truncateMetrics(runDir: string, step: number): void {
  const file = path.join(runDir, RUN_FILES.metrics);
  if (!fs.existsSync(file)) return;
  const keep = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l && (JSON.parse(l) as { step: number }).step <= step);
  writeFileAtomic(file, keep.map((l) => l + '\n').join(''));
}

async function train(loaded: LoadedExperiment, registry: PluginRegistry, runDir: string, options: RunOptions, resumed: boolean): Promise<RunResult> {
  const variablesBefore = new Set(Object.keys(tf.engine().registeredVariables));
  try {
    return await trainIn(loaded, registry, runDir, options, resumed);
  } finally {
    disposeVariablesSince(variablesBefore);
  }
}

/**
 * Disposes the tf variables created since `before`: the run's encoders, projections, objective
 * heads, EMA copies and evaluator probes. A process that runs several experiments (a sweep)
 * would otherwise keep every finished run's model in memory.
 */
function disposeVariablesSince(before: ReadonlySet<string>): void {
  for (const [name, variable] of Object.entries(tf.engine().registeredVariables)) {
    if (!before.has(name)) variable.dispose();
  }
}

async function trainIn(loaded: LoadedExperiment, registry: PluginRegistry, runDir: string, options: RunOptions, resumed: boolean): Promise<RunResult> {
  const log = options.log ?? rootLog;
  const { spec } = loaded;
  const record: RunRecord = { status: 'RUNNING', specFile: loaded.file, baseDir: loaded.baseDir, sweep: loaded.sweep, startedAt: new Date().toISOString() };
  // Before any backend loads: the world decides this rank's share of the cores.
  const world = options.world ?? openWorld(log);
  const leader = isLeader(world);
  const ckpt = resumed ? new CheckpointStore(runDir).load('last') : undefined;
  if (resumed && !ckpt) throw new TrainingError(`${runDir} has no checkpoint to resume from`);
  if (ckpt && leader) truncateMetrics(runDir, ckpt.state.step);

  const exp = await buildExperiment(loaded, registry, log, { withTracker: leader });
  record.backend = exp.backend.name;
  if (world.size > 1) record.worldSize = world.size;
  if (leader) writeRecord(runDir, record);
  const tracker = new SafeTracker(exp.tracker, log.child('tracking'));
  const experimentName = typeof spec.tracking?.experiment === 'string' ? spec.tracking.experiment : 'slipkit';
  await tracker.start({ runDir, name: spec.name, experiment: experimentName, resumed });
  if (!resumed) await tracker.logParams({ ...flattenSpec(spec), ...(world.size > 1 ? { world_size: String(world.size) } : {}) });
  await tracker.setTags({ ...runTags(spec, exp.backend.name), ...sweepTags(loaded.sweep) });

  const ranks = world.size > 1 ? ` on ${world.size} ranks` : '';
  if (leader) log.info(`run ${runDir}: ${spec.train.steps} steps of batch ${spec.train.batchSize}${ranks} on ${exp.backend.name}${ckpt ? `, resuming at step ${ckpt.state.step}` : ''}`);
  const trainer = new Trainer(exp, { runDir, log, stdout: options.stdout, resume: ckpt, stopAfterSteps: options.stopAfterSteps, onStepEnd: options.onStepEnd, world: world.size > 1 ? world : undefined, deferFigureReads: options.deferFigureReads ?? readsWaitForDevice(exp.backend.name) });
  const result = await trainer.run();
  trainer.dispose();
  if (!leader) return { status: result.status, runDir, metrics: result.evalMetrics, lossCurve: result.lossCurve, error: result.error };

  if (result.lossCurve.length) await renderLossCurve(result.lossCurve, path.join(runDir, RUN_FILES.lossPlot)).catch((e: Error) => log.warn(`loss plot: ${e.message}`));
  await tracker.logArtifact(path.join(runDir, RUN_FILES.spec), RUN_FILES.spec);
  if (fs.existsSync(path.join(runDir, RUN_FILES.lossPlot))) await tracker.logArtifact(path.join(runDir, RUN_FILES.lossPlot), RUN_FILES.lossPlot);
  const store = new CheckpointStore(runDir);
  for (const which of ['last', 'best'] as const) {
    const dir = store.pointer(which);
    if (dir) await tracker.logArtifact(path.join(dir, 'model.safetensors'), `checkpoints/${which}/model.safetensors`);
  }
  const message = result.error ? (result.error instanceof SlipkitError ? result.error.message : (result.error.stack ?? result.error.message)) : undefined;
  await tracker.end(result.status, message);
  writeRecord(runDir, { ...record, status: result.status, endedAt: new Date().toISOString(), error: message });

  for (const [k, v] of Object.entries(result.evalMetrics)) options.stdout.write(`${k} ${v.toFixed(4)}\n`);
  if (result.error) {
    if (result.error instanceof SlipkitError) log.error(result.error.message);
    else log.error(result.error.stack ?? result.error.message);
  }
  return { status: result.status, runDir, metrics: result.evalMetrics, lossCurve: result.lossCurve, error: result.error };
}

/** Trains a validated spec in a new run directory. */
export async function runExperiment(loaded: LoadedExperiment, registry: PluginRegistry, options: RunOptions): Promise<RunResult> {
  const world = options.world ?? openWorld(options.log);
  // Rank 0 names the run directory (its clock's timestamp) and creates it; the others wait for it.
  const runDir = broadcastString(world, path.resolve(options.runDir ?? path.join(loaded.spec.outDir, `${loaded.spec.name}-${timestamp()}`)));
  if (isLeader(world)) {
    if (fs.existsSync(path.join(runDir, RUN_FILES.run))) {
      throw new TrainingError(`${runDir} already holds a run; use "slipkit resume ${runDir}" or another --run-dir`);
    }
    fs.mkdirSync(runDir, { recursive: true });
    writeFileAtomic(path.join(runDir, RUN_FILES.spec), JSON.stringify(loaded.spec, null, 2));
  }
  world.barrier();
  return train(loaded, registry, runDir, { ...options, world }, false);
}

/** Continues a run from its last checkpoint, with the resolved spec it was started with. */
export async function resumeRun(runDir: string, registry: PluginRegistry, options: RunOptions): Promise<RunResult> {
  const dir = path.resolve(runDir);
  const recordFile = path.join(dir, RUN_FILES.run);
  if (!fs.existsSync(recordFile)) throw new TrainingError(`${dir} is not a slipkit run directory (no ${RUN_FILES.run})`);
  const record = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as RunRecord;
  // The saved spec records its base directory; record.baseDir serves runs saved before it did.
  const saved = resolveExperiment(path.join(dir, RUN_FILES.spec), registry, [], { baseDir: record.baseDir });
  const loaded: LoadedExperiment = { ...saved, file: record.specFile, sweep: record.sweep };
  return train(loaded, registry, dir, options, true);
}

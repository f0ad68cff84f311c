import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckpointStore, loadCheckpointDir, type LoadedCheckpoint } from '../checkpoint/store';
import { importWeights } from '../checkpoint/weights';
import { SpecError } from '../errors';
import type { Logger } from '../logger';
import type { PluginRegistry } from '../plugins/registry';
import { readJsonFile } from '../spec/load';
import { resolveExperiment } from '../spec/resolve';
import type { RawSpec } from '../spec/types';
import { evaluateAll } from './evaluate';
import { buildExperiment, emaParams, trainableParams, type Experiment } from './experiment';

/** A checkpoint directory, or a run directory (its best checkpoint, else its last). */
function findCheckpoint(target: string): LoadedCheckpoint {
  const abs = path.resolve(target);
  if (fs.existsSync(path.join(abs, 'model.safetensors'))) return loadCheckpointDir(abs);
  const store = new CheckpointStore(abs);
  const ckpt = store.load('best') ?? store.load('last');
  if (!ckpt) throw SpecError.at('checkpoint', `no checkpoint found at ${abs} (give a checkpoint directory or a run directory)`);
  return ckpt;
}

const isSpecFile = (target: string): boolean => target.endsWith('.json') && fs.existsSync(target) && fs.statSync(target).isFile();

/** An `eval` list from a JSON file, its relative paths resolved against that file's directory. */
function evalReplacement(evalSpecFile: string): RawSpec {
  const extra = readJsonFile(evalSpecFile);
  if (!Array.isArray(extra.eval)) throw SpecError.at('eval', `must be an array of evaluators`, evalSpecFile);
  return { eval: extra.eval, baseDir: path.dirname(path.resolve(evalSpecFile)) };
}

/** The resolved spec a checkpoint saved beside its weights. */
const CHECKPOINT_SPEC = 'spec.json';

/** A built experiment whose parameters hold a checkpoint's (or a spec's `model.init`'s) weights. */
export interface TrainedExperiment {
  exp: Experiment;
  /** Training steps behind the weights (0 for an imported checkpoint). */
  step: number;
  /** The checkpoint directory or spec file the weights came from. */
  source: string;
}

/**
 * Builds the experiment a checkpoint directory, a run directory (its best, else last,
 * checkpoint) or a spec file with `model.init` describes, and loads its weights. A checkpoint's
 * `eval` list is replaced by `replace.eval` when given.
 */
export async function loadTrainedExperiment(target: string, registry: PluginRegistry, log: Logger, replace?: RawSpec): Promise<TrainedExperiment> {
  if (isSpecFile(target)) {
    const loaded = resolveExperiment(target, registry, [], { replace });
    if (!loaded.spec.model.init) throw SpecError.at('model.init', 'is required to use a spec without a checkpoint (the model would be random)', target);
    return { exp: await buildExperiment(loaded, registry, log, { withTracker: false }), step: 0, source: path.resolve(target) };
  }
  const ckpt = findCheckpoint(target);
  const loaded = resolveExperiment(path.join(ckpt.dir, CHECKPOINT_SPEC), registry, [], { replace });
  const exp = await buildExperiment(loaded, registry, log, { withTracker: false });
  importWeights([...trainableParams(exp), ...emaParams(exp)], ckpt.weights, `checkpoint ${ckpt.dir}`);
  return { exp, step: ckpt.state.step, source: ckpt.dir };
}

/**
 * Runs evaluators on a saved checkpoint: the checkpoint's own spec (reloaded like any spec,
 * from its recorded base directory and plugin paths), with its `eval` list replaced by the
 * one in `evalSpecFile` when given (a JSON file with an "eval" array, whose relative paths
 * resolve against that file's directory). A spec file with `model.init` is evaluated as
 * imported, with no training step.
 */
export async function evaluateCheckpoint(target: string, registry: PluginRegistry, log: Logger, evalSpecFile?: string): Promise<Record<string, number>> {
  const { exp, step } = await loadTrainedExperiment(target, registry, log, evalSpecFile ? evalReplacement(evalSpecFile) : undefined);
  if (!exp.spec.eval.length) throw SpecError.at('eval', 'no evaluators to run; pass --spec with an "eval" list');
  return evaluateAll(exp, step, log);
}

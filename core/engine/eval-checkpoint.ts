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
import { buildExperiment, emaParams, trainableParams } from './experiment';

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

/**
 * Evaluates the model a spec builds, as its `model.init` initialises it (an open_clip or timm
 * checkpoint, say), with no training step: the spec's evaluators, or those of `evalSpecFile`.
 */
async function evaluateInitialisedSpec(specFile: string, registry: PluginRegistry, log: Logger, evalSpecFile?: string): Promise<Record<string, number>> {
  const loaded = resolveExperiment(specFile, registry, [], { replace: evalSpecFile ? evalReplacement(evalSpecFile) : undefined });
  if (!loaded.spec.model.init) throw SpecError.at('model.init', 'is required to evaluate a spec without a checkpoint (the model would be random)', specFile);
  if (!loaded.spec.eval.length) throw SpecError.at('eval', 'the spec has no evaluators; pass --spec with an "eval" list', specFile);
  const exp = await buildExperiment(loaded, registry, log, { withTracker: false });
  return evaluateAll(exp, 0, log);
}

/** An `eval` list from a JSON file, its relative paths resolved against that file's directory. */
function evalReplacement(evalSpecFile: string): RawSpec {
  const extra = readJsonFile(evalSpecFile);
  if (!Array.isArray(extra.eval)) throw SpecError.at('eval', `must be an array of evaluators`, evalSpecFile);
  return { eval: extra.eval, baseDir: path.dirname(path.resolve(evalSpecFile)) };
}

/** The resolved spec a checkpoint saved beside its weights. */
const CHECKPOINT_SPEC = 'spec.json';

/**
 * Runs evaluators on a saved checkpoint: the checkpoint's own spec (reloaded like any spec,
 * from its recorded base directory and plugin paths), with its `eval` list replaced by the
 * one in `evalSpecFile` when given (a JSON file with an "eval" array, whose relative paths
 * resolve against that file's directory).
 */
export async function evaluateCheckpoint(target: string, registry: PluginRegistry, log: Logger, evalSpecFile?: string): Promise<Record<string, number>> {
  if (isSpecFile(target)) return evaluateInitialisedSpec(target, registry, log, evalSpecFile);
  const ckpt = findCheckpoint(target);
  const replace = evalSpecFile ? evalReplacement(evalSpecFile) : undefined;
  const loaded = resolveExperiment(path.join(ckpt.dir, CHECKPOINT_SPEC), registry, [], { replace });
  if (!loaded.spec.eval.length) throw SpecError.at('eval', 'the checkpoint spec has no evaluators; pass --spec with an "eval" list');
  const exp = await buildExperiment(loaded, registry, log, { withTracker: false });
  importWeights([...trainableParams(exp), ...emaParams(exp)], ckpt.weights, `checkpoint ${ckpt.dir}`);
  return evaluateAll(exp, ckpt.state.step, log);
}

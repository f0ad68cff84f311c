import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckpointStore, loadCheckpointDir, type LoadedCheckpoint } from '../checkpoint/store';
import { importWeights } from '../checkpoint/weights';
import { SpecError } from '../errors';
import type { Logger } from '../logger';
import type { PluginRegistry } from '../plugins/registry';
import { readJsonFile } from '../spec/load';
import { SpecValidator } from '../spec/validate';
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

/**
 * Runs evaluators on a saved checkpoint: the checkpoint's own spec, with its `eval` list
 * replaced by the one in `evalSpecFile` when given (a JSON file with an "eval" array).
 */
export async function evaluateCheckpoint(target: string, registry: PluginRegistry, log: Logger, evalSpecFile?: string): Promise<Record<string, number>> {
  const ckpt = findCheckpoint(target);
  const spec = structuredClone(ckpt.spec) as RawSpec;
  let baseDir = process.cwd();
  if (evalSpecFile) {
    const extra = readJsonFile(evalSpecFile);
    if (!Array.isArray(extra.eval)) throw SpecError.at('eval', `must be an array of evaluators`, evalSpecFile);
    spec.eval = extra.eval;
    baseDir = path.dirname(path.resolve(evalSpecFile));
  }
  const validated = new SpecValidator(registry).validate(spec, evalSpecFile ?? `${ckpt.dir}/spec.json`);
  if (!validated.eval.length) throw SpecError.at('eval', 'the checkpoint spec has no evaluators; pass --spec with an "eval" list');
  const exp = await buildExperiment({ spec: validated, file: evalSpecFile ?? ckpt.dir, baseDir }, registry, log, { withTracker: false });
  importWeights([...trainableParams(exp), ...emaParams(exp)], ckpt.weights, `checkpoint ${ckpt.dir}`);
  return evaluateAll(exp, ckpt.state.step, log);
}

/**
 * One rank of a data-parallel test job (started by test/distributed/*.test.ts under
 * `mpirun -np K`, or alone as the world of one): trains a spec once per case (a list of
 * --set overrides) through runExperiment, one after another in this process, and on rank 0
 * writes each case's status, loss curve and the gradients the optimizer applied at the first
 * step (after the all-reduce) as JSON.
 *
 *   node dist/test/helpers/data-parallel-worker.js <spec.json> <cases.json> <out.json> <runRoot>
 *   cases.json: [{ "name": "clip", "overrides": ["objectives=[{\"type\":\"clip\"}]"] }, ...]
 *   (a case may stop early, "stopAfterSteps": n, or resume an earlier case's run, "resume": "<name>-<size>")
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { closeWorld, openWorld } from '../../core/distributed/open-world';
import { resumeRun, runExperiment } from '../../core/engine/run';
import { AdamW } from '../../core/engine/optim/adamw';
import { Logger } from '../../core/logger';
import { builtinRegistry, loadSpec } from './runs';

export interface WorkerCase {
  name: string;
  overrides: string[];
  /** Stop (with a checkpoint, as a signal would) after this many steps. */
  stopAfterSteps?: number;
  /** Resume the run directory of this earlier case (`<name>-<world size>` under the run root) instead of starting. */
  resume?: string;
}

export interface WorkerCaseResult {
  status: string;
  lossCurve: number[];
  /** Gradient per parameter name at the first step, as applied. */
  grads: Record<string, number[]>;
  error?: string;
}

async function main(): Promise<void> {
  const [specFile, casesFile, outFile, runRoot] = process.argv.slice(2);
  const cases = JSON.parse(fs.readFileSync(casesFile, 'utf8')) as WorkerCase[];
  const log = new Logger('warn', process.stderr);
  const world = openWorld(log);
  let firstGrads: Record<string, number[]> | undefined;
  const apply = AdamW.prototype.apply;
  AdamW.prototype.apply = function (this: AdamW, grads: Map<string, tf.Tensor>, lr: number) {
    firstGrads ??= Object.fromEntries([...grads].map(([name, g]) => [name, Array.from(g.dataSync())]));
    return apply.call(this, grads, lr);
  } as typeof apply;
  const registry = builtinRegistry();
  const results: Record<string, WorkerCaseResult> = {};
  let failed = false;
  for (const c of cases) {
    firstGrads = undefined;
    const runDir = path.join(runRoot, `${c.name}-${world.size}`);
    const options = { runDir, stdout: { write: () => true }, log, stopAfterSteps: c.stopAfterSteps };
    const result = c.resume ? await resumeRun(path.join(runRoot, c.resume), registry, options) : await runExperiment(loadSpec(specFile, registry, c.overrides), registry, options);
    results[c.name] = { status: result.status, lossCurve: result.lossCurve, grads: firstGrads ?? {}, error: result.error?.message };
    if (result.status !== (c.stopAfterSteps ? 'KILLED' : 'FINISHED')) {
      process.stderr.write(`rank ${world.rank}: ${c.name}: ${result.status}: ${result.error?.message}\n`);
      failed = true;
    }
  }
  if (world.rank === 0) fs.writeFileSync(outFile, JSON.stringify({ worldSize: world.size, cases: results }));
  if (failed) {
    if (world.size > 1) world.abort(1);
    process.exitCode = 1;
  }
  closeWorld();
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});

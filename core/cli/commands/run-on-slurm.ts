import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../../backend/package-root';
import { SpecError } from '../../errors';
import { sbatchScript } from '../../launch/sbatch-script';
import { submitBatch } from '../../launch/submit';
import type { LoadedExperiment } from '../../spec/resolve';
import type { CliContext } from '../context';

export interface SlurmLaunchOptions {
  set: string[];
  runDir?: string;
  nodes: number;
  tasksPerNode: number;
  partition?: string;
  time?: string;
  dryRun?: boolean;
}

/** Seconds before the time limit at which SLURM sends SIGTERM (the run checkpoints and stops). */
const TERM_GRACE_S = 120;

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * `slipkit run --launcher slurm`: writes an sbatch script into the run directory (for a
 * sweep, the parent of the members' directories, and the script is a job array with one
 * task per member), then submits it and prints the job id; --dry-run prints the script.
 * The job's ranks run `slipkit run` under `srun --mpi=pmix`, which detects the world itself.
 */
export function launchOnSlurm(experiments: LoadedExperiment[], file: string, opts: SlurmLaunchOptions, ctx: CliContext): void {
  const first = experiments[0];
  const ranks = opts.nodes * opts.tasksPerNode;
  const { batchSize, accumulate } = first.spec.train;
  if (!Number.isInteger(batchSize / accumulate / ranks)) {
    throw SpecError.at('train.batchSize', `${batchSize} (micro-batch ${batchSize / accumulate}) does not split over ${ranks} ranks (--nodes ${opts.nodes} × --tasks-per-node ${opts.tasksPerNode})`, file);
  }
  const sweep = first.sweep;
  const name = sweep ? sweep.name : first.spec.name;
  const runDir = path.resolve(opts.runDir ?? path.join(first.spec.outDir, `${name}-${timestamp()}`));
  const root = packageRoot();
  const script = sbatchScript({
    jobName: name,
    runDir,
    specFile: path.resolve(file),
    overrides: opts.set,
    nodes: opts.nodes,
    tasksPerNode: opts.tasksPerNode,
    partition: opts.partition,
    time: opts.time,
    members: sweep ? experiments.map((e) => e.spec.name) : undefined,
    node: process.execPath,
    cli: path.join(root, 'bin', 'slipkit.js'),
    workDir: process.cwd(),
    termGraceS: TERM_GRACE_S,
  });
  if (opts.dryRun) {
    ctx.stdout.write(script);
    return;
  }
  fs.mkdirSync(runDir, { recursive: true });
  const scriptFile = path.join(runDir, 'slurm.sbatch');
  fs.writeFileSync(scriptFile, script, { mode: 0o755 });
  const jobId = submitBatch(scriptFile);
  const what = sweep ? `a job array of ${experiments.length} members` : `${ranks} rank(s) on ${opts.nodes} node(s)`;
  ctx.stdout.write(`submitted SLURM job ${jobId} (${what}); script and logs in ${runDir}\n`);
}

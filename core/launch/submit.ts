import { spawnSync } from 'node:child_process';
import { TrainingError } from '../errors';

/** Submits a batch script with `sbatch --parsable` and returns the job id, or says why SLURM refused. */
export function submitBatch(scriptFile: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync('sbatch', ['--parsable', scriptFile], { encoding: 'utf8', env });
  if (r.error) throw new TrainingError(`cannot run sbatch (${r.error.message}): is SLURM installed (slurm-wlm) and on PATH?`);
  if (r.status !== 0) throw new TrainingError(`sbatch refused ${scriptFile}: ${(r.stderr || r.stdout).trim()}`);
  // --parsable prints "<jobid>" or "<jobid>;<cluster>"
  return r.stdout.trim().split(';')[0];
}

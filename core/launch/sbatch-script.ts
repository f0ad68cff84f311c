/** What a SLURM batch script for one run, or for every member of a sweep (a job array), says. */
export interface SbatchPlan {
  jobName: string;
  /** The run directory (a single run) or the sweep's parent directory; the script and SLURM's logs go here. */
  runDir: string;
  /** Absolute path of the spec file and the --set overrides to pass on. */
  specFile: string;
  overrides: readonly string[];
  nodes: number;
  tasksPerNode: number;
  partition?: string;
  /** SLURM's time limit, e.g. "02:00:00". */
  time?: string;
  /** For a sweep: every member's run-directory name, in member order (array task i runs member i). */
  members?: readonly string[];
  /** Node and the slipkit CLI to run, absolute. */
  node: string;
  cli: string;
  /** Directory the job starts in (relative paths in the spec resolve from there). */
  workDir: string;
  /** Seconds before the time limit at which SLURM sends SIGTERM, so the run checkpoints in time. */
  termGraceS: number;
}

/** Quotes a word for bash (single quotes, with embedded ones escaped). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The sbatch script: one srun step of nodes × tasksPerNode ranks (`--mpi=pmix`, so the ranks
 * form one MPI world, which `slipkit run` detects), a SIGTERM `termGraceS` before the time
 * limit (the run checkpoints and stops), and requeue: when the run directory already holds a
 * run (a requeued or resubmitted job), the script resumes it instead of starting over.
 */
export function sbatchScript(plan: SbatchPlan): string {
  const q = shellQuote;
  const array = plan.members !== undefined;
  const log = array ? 'slurm-%A_%a.out' : 'slurm-%j.out';
  const lines = [
    '#!/bin/bash',
    `# Written by slipkit run --launcher slurm; submit with: sbatch ${q(`${plan.runDir}/slurm.sbatch`)}`,
    `#SBATCH --job-name=${q(plan.jobName)}`,
    `#SBATCH --nodes=${plan.nodes}`,
    `#SBATCH --ntasks-per-node=${plan.tasksPerNode}`,
    ...(plan.partition ? [`#SBATCH --partition=${q(plan.partition)}`] : []),
    ...(plan.time ? [`#SBATCH --time=${q(plan.time)}`] : []),
    ...(array ? [`#SBATCH --array=0-${plan.members!.length - 1}`] : []),
    `#SBATCH --output=${q(`${plan.runDir}/${log}`)}`,
    `#SBATCH --signal=TERM@${plan.termGraceS}`,
    '#SBATCH --requeue',
    '#SBATCH --open-mode=append',
    'set -euo pipefail',
    `cd ${q(plan.workDir)}`,
  ];
  const run = [q(plan.node), q(plan.cli)];
  const sets = plan.overrides.flatMap((o) => ['--set', q(o)]).join(' ');
  const start = array
    ? `${run.join(' ')} run ${q(plan.specFile)} ${sets} --member "$SLURM_ARRAY_TASK_ID" --run-dir ${q(plan.runDir)}`
    : `${run.join(' ')} run ${q(plan.specFile)} ${sets} --run-dir ${q(plan.runDir)}`;
  if (array) {
    lines.push(`MEMBERS=(${plan.members!.map(q).join(' ')})`, `RUN_DIR=${q(plan.runDir)}/"\${MEMBERS[$SLURM_ARRAY_TASK_ID]}"`);
  } else {
    lines.push(`RUN_DIR=${q(plan.runDir)}`);
  }
  lines.push(
    'if [ -f "$RUN_DIR/run.json" ]; then',
    `  exec srun --mpi=pmix --kill-on-bad-exit=1 ${run.join(' ')} resume "$RUN_DIR"`,
    'fi',
    `exec srun --mpi=pmix --kill-on-bad-exit=1 ${start.replace(/ +/g, ' ')}`,
    '',
  );
  return lines.join('\n');
}

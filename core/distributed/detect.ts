import { TrainingError } from '../errors';

/** How this process was started, read from the launcher's environment (nothing is loaded). */
export interface LaunchInfo {
  launcher: 'mpirun' | 'srun' | 'none';
  /** Ranks the launcher started, and this one's index. */
  size: number;
  rank: number;
  /** Ranks on this node when the launcher says (OMPI_COMM_WORLD_LOCAL_SIZE, SLURM_NTASKS_PER_NODE). */
  localSize?: number;
}

function int(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Detects an MPI launch: OpenMPI's mpirun (OMPI_COMM_WORLD_*), or a SLURM step started by
 * `srun --mpi=pmix` (PMIX_RANK with SLURM_PROCID/SLURM_NTASKS). SLIPKIT_WORLD=local forces
 * one process. A SLURM step of several tasks without PMIx cannot form a world: that is an
 * error naming the fix rather than N independent runs that silently overwrite each other.
 */
export function detectLaunch(env: NodeJS.ProcessEnv = process.env): LaunchInfo {
  if (env.SLIPKIT_WORLD === 'local') return { launcher: 'none', size: 1, rank: 0 };
  const ompiSize = int(env, 'OMPI_COMM_WORLD_SIZE');
  if (ompiSize !== undefined) {
    return { launcher: 'mpirun', size: ompiSize, rank: int(env, 'OMPI_COMM_WORLD_RANK') ?? 0, localSize: int(env, 'OMPI_COMM_WORLD_LOCAL_SIZE') };
  }
  const slurmTasks = int(env, 'SLURM_NTASKS') ?? int(env, 'SLURM_NPROCS');
  const inStep = env.SLURM_STEP_ID !== undefined && env.SLURM_STEP_ID !== 'batch' && env.SLURM_PROCID !== undefined;
  const pmixRank = int(env, 'PMIX_RANK');
  if (pmixRank !== undefined && slurmTasks !== undefined) {
    return { launcher: 'srun', size: slurmTasks, rank: pmixRank, localSize: int(env, 'SLURM_NTASKS_PER_NODE') };
  }
  if (inStep && slurmTasks !== undefined && slurmTasks > 1) {
    throw new TrainingError(`this SLURM step has ${slurmTasks} tasks but no PMIx: start it with "srun --mpi=pmix" so the tasks form one MPI world`);
  }
  return { launcher: 'none', size: 1, rank: 0 };
}

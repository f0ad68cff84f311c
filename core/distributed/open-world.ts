import * as os from 'node:os';
import { TrainingError } from '../errors';
import type { Logger } from '../logger';
import { detectLaunch, type LaunchInfo } from './detect';
import { LocalWorld } from './local-world';
import { DEFAULT_COLLECTIVE_TIMEOUT_S, MpiWorld } from './mpi-world';
import type { World } from './world';

/** SLIPKIT_COLLECTIVE_TIMEOUT_S, else the default bound on one collective. */
export function collectiveTimeoutS(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SLIPKIT_COLLECTIVE_TIMEOUT_S;
  if (raw === undefined || raw === '') return DEFAULT_COLLECTIVE_TIMEOUT_S;
  const s = Number(raw);
  if (!(s > 0)) throw new TrainingError(`SLIPKIT_COLLECTIVE_TIMEOUT_S must be a positive number of seconds, got "${raw}"`);
  return s;
}

/** Intra-op threads per rank: the node's cores shared by the ranks on it (at least 1). */
export function threadsPerRank(cores: number, localRanks: number): number {
  return Math.max(1, Math.floor(cores / Math.max(1, localRanks)));
}

/**
 * Gives this rank its share of the node's cores before any backend loads: TensorFlow's
 * intra-op pool (TF_NUM_INTRAOP_THREADS), OpenMP and the fused ops' row pool
 * (SLIPKIT_OP_THREADS). Values already set by the user are kept.
 */
export function shareCores(localRanks: number, env: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): number {
  const threads = threadsPerRank(cores, localRanks);
  for (const name of ['TF_NUM_INTRAOP_THREADS', 'OMP_NUM_THREADS', 'SLIPKIT_OP_THREADS']) env[name] ??= String(threads);
  env.TF_NUM_INTEROP_THREADS ??= '1';
  return threads;
}

let current: World | undefined;

/**
 * The world this process belongs to, opened once: MPI when a launcher started several ranks
 * (mpirun, srun --mpi=pmix), else the world of one, which loads no MPI.
 */
export function openWorld(log?: Logger, launch: LaunchInfo = detectLaunch()): World {
  if (current) return current;
  if (launch.size <= 1) {
    current = new LocalWorld();
    return current;
  }
  const world = new MpiWorld(collectiveTimeoutS());
  if (world.size !== launch.size) throw new TrainingError(`${launch.launcher} started ${launch.size} ranks but MPI sees a world of ${world.size}`);
  const threads = shareCores(world.localSize);
  log?.info(`rank ${world.rank} of ${world.size} (${launch.launcher}, ${world.library.split(',')[0]}); ${threads} intra-op thread(s) per rank`);
  current = world;
  return world;
}

/** The opened world, or the world of one when none was opened (library use, tests). */
export function currentWorld(): World {
  return current ?? new LocalWorld();
}

/** Closes the opened world (MPI_Finalize) at the end of the process's work. */
export function closeWorld(): void {
  current?.close();
  current = undefined;
}

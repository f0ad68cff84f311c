import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackendError } from '../errors';
import { packageRoot } from '../backend/package-root';
import type { CollectiveBuffer } from './world';

/** What core/distributed/native/mpi_addon.c exports. */
export interface MpiAddon {
  init(): { rank: number; size: number; localRank: number; localSize: number; library: string };
  /** `seq` numbers the collectives in call order (the same on every rank): rank 0 tracks who reached which. */
  allreduceSum(buffer: Float32Array | Float64Array, timeoutMs: number, seq: number): void;
  allgather(send: Float32Array, recv: Float32Array, timeoutMs: number, seq: number): void;
  broadcast(buffer: CollectiveBuffer, root: number, timeoutMs: number, seq: number): void;
  barrier(timeoutMs: number, seq: number): void;
  /** On rank 0: [rank, last collective it reached] for each rank that has not reached collective `seq`. */
  laggards(seq: number): Array<[number, number]>;
  /** On rank 0: [rank, last collective it reached] for each rank that does not answer a ping within `waitMs`. */
  unresponsive(waitMs: number): Array<[number, number]>;
  abort(code: number): void;
  finalize(): void;
}

export const MPI_SETUP_COMMAND = 'node scripts/setup-mpi.js';

/** Where scripts/setup-mpi.js puts the addon: $SLIPKIT_MPI_ADDON, else .mpi/slipkit_mpi.node in the package root. */
export function mpiAddonPath(): string {
  return path.resolve(process.env.SLIPKIT_MPI_ADDON ?? path.join(packageRoot(), '.mpi', 'slipkit_mpi.node'));
}

/** Loads the MPI binding, or says why it cannot and how to build it. */
export function loadMpiAddon(): MpiAddon {
  const file = mpiAddonPath();
  if (!fs.existsSync(file)) throw new BackendError(`the MPI binding is not built (no ${file}): run \`${MPI_SETUP_COMMAND}\` (needs mpicc from libopenmpi-dev)`);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as MpiAddon;
  } catch (err) {
    throw new BackendError(`the MPI binding ${file} does not load: ${(err as Error).message}; rebuild it with \`${MPI_SETUP_COMMAND}\``);
  }
}

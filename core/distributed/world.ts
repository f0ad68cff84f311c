/** A typed array a collective can carry. */
export type CollectiveBuffer = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * The processes of one data-parallel run and the collectives between them (on
 * MPI_COMM_WORLD for the MPI engine). Every call is synchronous and must be made by every
 * rank in the same order; each fails with a CollectiveError after the world's timeout
 * rather than blocking forever when a peer died or hangs. A single process is the world of
 * one (LocalWorld): every collective is the identity and no MPI is loaded.
 */
export interface World {
  /** 'local' for the world of one, 'mpi' for OpenMPI (another engine, e.g. NCCL, would add a name). */
  readonly engine: string;
  readonly size: number;
  readonly rank: number;
  /** This rank's index among the ranks on its node, and their count (for sharing the node's cores). */
  readonly localRank: number;
  readonly localSize: number;
  /** Sums `buffer` over all ranks, in place. */
  allReduceSum(buffer: Float32Array | Float64Array): void;
  /** Every rank's `buffer` concatenated in rank order (all ranks pass the same length). */
  allGather(buffer: Float32Array): Float32Array;
  /** Every rank's `buffer` becomes root's, in place. */
  broadcast(buffer: CollectiveBuffer, root?: number): void;
  /** Waits for every rank; `timeoutS` overrides the world's bound (a wait for rank 0's evaluation). */
  barrier(timeoutS?: number): void;
  /** Ends every rank of the job (after a fatal error on this one, so peers stop waiting). */
  abort(code: number): void;
  /** Leaves the world (MPI_Finalize); the world is unusable after. */
  close(): void;
}

/** Rank 0 owns the run's side effects: checkpoints, tracking, progress output, evaluation. */
export function isLeader(world: Pick<World, 'rank'>): boolean {
  return world.rank === 0;
}

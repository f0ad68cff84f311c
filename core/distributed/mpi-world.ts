import { CollectiveError } from './collective-error';
import { loadMpiAddon, type MpiAddon } from './mpi-addon';
import type { CollectiveBuffer, World } from './world';

/** Default bound on one collective: long enough for a slow step on a peer, short enough that a dead peer ends the job. */
export const DEFAULT_COLLECTIVE_TIMEOUT_S = 300;

/** How long rank 0 waits for its peers to answer a ping after a collective stalls past its barrier. */
const PING_WAIT_MS = 2000;

/** The world of an MPI job (OpenMPI through slipkit's N-API binding), on MPI_COMM_WORLD. */
export class MpiWorld implements World {
  readonly engine = 'mpi';
  readonly size: number;
  readonly rank: number;
  readonly localRank: number;
  readonly localSize: number;
  readonly library: string;
  private sequence = 0;
  private closed = false;

  constructor(
    readonly timeoutS = DEFAULT_COLLECTIVE_TIMEOUT_S,
    private readonly mpi: MpiAddon = loadMpiAddon(),
  ) {
    const info = mpi.init();
    this.size = info.size;
    this.rank = info.rank;
    this.localRank = info.localRank;
    this.localSize = info.localSize;
    this.library = info.library;
  }

  private call(operation: string, fn: (timeoutMs: number, seq: number) => void, timeoutS = this.timeoutS): void {
    const seq = ++this.sequence;
    try {
      fn(timeoutS * 1000, seq);
    } catch (err) {
      const e = err as Error & { code?: string };
      // Before the barrier: the ranks that never reached it. After it: the ranks that stopped answering.
      const stalledInTransfer = e.code === 'ETIMEDOUT_TRANSFER';
      const timedOut = e.code === 'ETIMEDOUT' || stalledInTransfer;
      const missing = !timedOut ? [] : stalledInTransfer ? this.mpi.unresponsive(PING_WAIT_MS) : this.mpi.laggards(seq);
      const detail = stalledInTransfer ? `${e.message} in the transfer, after every rank had reached it` : e.message;
      const laggards = missing.map(([rank, last]) => ({ rank, lastCollective: last }));
      throw new CollectiveError(this.rank, this.size, operation, seq, detail, timedOut, laggards, stalledInTransfer ? 'stopped answering' : 'never reached');
    }
  }

  allReduceSum(buffer: Float32Array | Float64Array): void {
    this.call(`allreduce of ${buffer.length} values`, (t, seq) => this.mpi.allreduceSum(buffer, t, seq));
  }

  allGather(buffer: Float32Array): Float32Array {
    const out = new Float32Array(buffer.length * this.size);
    this.call(`allgather of ${buffer.length} values`, (t, seq) => this.mpi.allgather(buffer, out, t, seq));
    return out;
  }

  broadcast(buffer: CollectiveBuffer, root = 0): void {
    this.call(`broadcast of ${buffer.length} values from rank ${root}`, (t, seq) => this.mpi.broadcast(buffer, root, t, seq));
  }

  barrier(timeoutS?: number): void {
    this.call('barrier', (t, seq) => this.mpi.barrier(t, seq), timeoutS);
  }

  abort(code: number): void {
    this.mpi.abort(code);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.mpi.finalize();
  }
}

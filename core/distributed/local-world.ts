import type { CollectiveBuffer, World } from './world';

/** The world of one process: collectives are the identity, nothing is loaded. */
export class LocalWorld implements World {
  readonly engine = 'local';
  readonly size = 1;
  readonly rank = 0;
  readonly localRank = 0;
  readonly localSize = 1;
  allReduceSum(_buffer: Float32Array | Float64Array): void {}
  allGather(buffer: Float32Array): Float32Array {
    return buffer.slice();
  }
  broadcast(_buffer: CollectiveBuffer, _root?: number): void {}
  barrier(_timeoutS?: number): void {}
  abort(code: number): void {
    process.exit(code);
  }
  close(): void {}
}

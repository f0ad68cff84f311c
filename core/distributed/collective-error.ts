import { TrainingError } from '../errors';

/** A collective failed or timed out: names this rank, the operation and its sequence number. */
export class CollectiveError extends TrainingError {
  constructor(
    readonly rank: number,
    readonly size: number,
    readonly operation: string,
    readonly sequence: number,
    detail: string,
    readonly timedOut: boolean,
  ) {
    super(
      `rank ${rank} of ${size}: collective #${sequence} (${operation}) ${detail}` +
        (timedOut ? '; a peer rank died or hangs (see the launcher log for which one exited)' : ''),
    );
  }
}

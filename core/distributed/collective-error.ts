import { TrainingError } from '../errors';

/** A rank that had not reached a collective when it timed out, and the last one it reached. */
export interface Laggard {
  rank: number;
  lastCollective: number;
}

/**
 * A collective failed or timed out on this rank: names this rank, the operation and its
 * sequence number and, on rank 0 (which tracks every rank's arrivals), the ranks that never
 * reached it.
 */
export class CollectiveError extends TrainingError {
  constructor(
    readonly rank: number,
    readonly size: number,
    readonly operation: string,
    readonly sequence: number,
    detail: string,
    readonly timedOut: boolean,
    readonly laggards: readonly Laggard[] = [],
    /** What the laggards did: never reached the collective, or reached it and stopped answering inside it. */
    readonly lag: 'never reached' | 'stopped answering' = 'never reached',
  ) {
    super(`rank ${rank} of ${size}: collective #${sequence} (${operation}) ${detail}${CollectiveError.explain(timedOut, laggards, lag)}`);
  }

  private static explain(timedOut: boolean, laggards: readonly Laggard[], lag: string): string {
    if (!timedOut) return '';
    if (laggards.length === 0) return '; a peer rank died or hangs (rank 0 names it; see the launcher log)';
    const who = laggards.map((l) => `rank ${l.rank} (last at collective #${l.lastCollective})`).join(', ');
    return lag === 'never reached' ? `; never reached by ${who}: it died or hangs` : `; ${who} stopped answering inside it: it died or hangs`;
  }
}

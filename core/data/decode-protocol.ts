import type { DecodeInput, DecodeOutcome } from './decode';

/** Messages between the decode pool and its worker threads. */
export type ToWorker = { type: 'decode'; id: number; input: DecodeInput; loadSize: number } | { type: 'close' };

export type FromWorker = { type: 'decoded'; id: number; outcome: DecodeOutcome };

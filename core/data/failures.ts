import { DataError } from '../errors';
import type { Logger } from '../logger';

export interface FailureExample {
  origin: string;
  reason: string;
}

export interface FailureReport {
  failed: number;
  seen: number;
  examples: FailureExample[];
}

/** Failures logged at warn level before the rest go to debug, so a bad shard cannot flood the log. */
const WARN_LIMIT = 20;
const EXAMPLE_LIMIT = 20;

/**
 * Counts images that could not be decoded and stops the run when they exceed a fraction
 * of those seen. The fraction is only judged once enough images were seen for it to mean
 * something (one bad image among the first ten is not 10% of a dataset), and always at the
 * end of a pass.
 */
export class FailureTracker {
  private failed = 0;
  private seen = 0;
  private readonly examples: FailureExample[] = [];

  constructor(
    private readonly maxFraction: number,
    private readonly minSeen: number,
    private readonly log: Logger,
  ) {}

  /** Default minimum: enough images for the fraction to be ~10 failures, between 20 and 1000. */
  static defaultMinSeen(maxFraction: number): number {
    if (maxFraction <= 0) return 1;
    return Math.min(1000, Math.max(20, Math.ceil(10 / maxFraction)));
  }

  recordSuccess(): void {
    this.seen++;
  }

  /** Records one failure; throws a DataError when the failure fraction is now exceeded. */
  recordFailure(origin: string, reason: string): void {
    this.seen++;
    this.failed++;
    if (this.examples.length < EXAMPLE_LIMIT) this.examples.push({ origin, reason });
    const msg = `skipping ${origin}: ${reason}`;
    if (this.failed <= WARN_LIMIT) this.log.warn(msg + (this.failed === WARN_LIMIT ? ' (further failures are logged at debug level)' : ''));
    else this.log.debug(msg);
    if (this.seen >= this.minSeen) this.check();
  }

  /** Judges the fraction regardless of how many images were seen (end of a pass). */
  check(): void {
    if (this.seen === 0 || this.failed <= this.maxFraction * this.seen) return;
    const pct = (x: number): string => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;
    const first = this.examples[0];
    throw new DataError(
      `${this.failed} of ${this.seen} images could not be decoded (${pct(this.failed / this.seen)}, ` +
        `more than the allowed ${pct(this.maxFraction)}; data.maxFailureFraction); first: ${first.origin}: ${first.reason}`,
    );
  }

  report(): FailureReport {
    return { failed: this.failed, seen: this.seen, examples: this.examples.map((e) => ({ ...e })) };
  }
}

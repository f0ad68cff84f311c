import { DataError } from '../errors';
import type { Logger } from '../logger';

export interface FailureExample {
  origin: string;
  reason: string;
}

export interface FailureReport {
  /** Bad samples: skipped, never used. */
  failed: number;
  /** Samples read, good and bad. */
  seen: number;
  /** Bad samples the rule allows at this point: maxFraction × max(seen, minSeen), or maxFraction × seen once a full pass was read. */
  allowed: number;
  /** Whether a whole pass over the data has been read (the fraction is then known, not estimated). */
  fullPass: boolean;
  examples: FailureExample[];
}

/** Failures logged at warn level before the rest go to debug, so a bad shard cannot flood the log. */
const WARN_LIMIT = 20;
const EXAMPLE_LIMIT = 20;
/** Offenders named in the DataError that stops a run. */
const NAMED_IN_ERROR = 3;

const pct = (x: number): string => `${(100 * x).toFixed(x < 0.1 ? 2 : 1)}%`;
const round = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/**
 * The one rule for bad samples (README, "Bad samples"): every sample that cannot be used as
 * stored — an image missing, unreadable, undecodable, truncated, empty or over sharp's pixel
 * limit, a path leaving the image root, caption bytes that are not UTF-8, a tar member cut
 * short — is skipped and counted, and the run stops with a DataError as soon as
 *
 *     bad > maxFraction × max(seen, minSeen)
 *
 * where `seen` counts every sample read so far, good and bad, after every sample. Before
 * minSeen samples the allowance is maxFraction × minSeen: one bad image among the first ten
 * is not evidence that 10% of a dataset is bad. Once a whole pass has been read (completePass),
 * the fraction is no longer an estimate and the floor goes:
 *
 *     bad > maxFraction × seen
 *
 * so a dataset of 40 images with 1 bad one stops at the end of its first pass at 1% (2.5% > 1%).
 * maxFraction 0 makes any bad sample fatal.
 */
export class FailureTracker {
  private failed = 0;
  private seen = 0;
  private fullPass = false;
  private readonly examples: FailureExample[] = [];

  constructor(
    private readonly maxFraction: number,
    private readonly minSeen: number,
    private readonly log: Logger,
  ) {
    if (!(maxFraction >= 0 && maxFraction <= 1)) throw new RangeError(`maxFailureFraction must be in [0, 1], got ${maxFraction}`);
  }

  /** Default minimum: enough samples for the allowance to be ~10 bad samples, between 20 and 1000. */
  static defaultMinSeen(maxFraction: number): number {
    if (maxFraction <= 0) return 1;
    return Math.min(1000, Math.max(20, Math.ceil(10 / maxFraction)));
  }

  recordSuccess(): void {
    this.seen++;
  }

  /** Records one bad sample (skipped); throws a DataError when the rule is now broken. */
  recordFailure(origin: string, reason: string): void {
    this.seen++;
    this.failed++;
    if (this.examples.length < EXAMPLE_LIMIT) this.examples.push({ origin, reason });
    const msg = `skipping ${origin}: ${reason}`;
    if (this.failed <= WARN_LIMIT) this.log.warn(msg + (this.failed === WARN_LIMIT ? ' (further bad samples are logged at debug level)' : ''));
    else this.log.debug(msg);
    this.check();
  }

  /** A whole pass over the data has been read: from now on the fraction is judged exactly. Checks at once. */
  completePass(): void {
    this.fullPass = true;
    this.check();
  }

  /** Bad samples allowed now. */
  allowed(): number {
    return this.maxFraction * (this.fullPass ? this.seen : Math.max(this.seen, this.minSeen));
  }

  /** Throws the DataError that stops a run when there are more bad samples than allowed. */
  check(): void {
    if (this.failed <= this.allowed()) return;
    const first = this.examples
      .slice(0, NAMED_IN_ERROR)
      .map((e) => `${e.origin}: ${e.reason}`)
      .join('; ');
    throw new DataError(`${this.counts()}, more than data.maxFailureFraction allows (${this.allowance()}); first: ${first}`);
  }

  /** The end-of-run line: counts, fraction and the allowance they were judged against. */
  summary(): string {
    return `${this.counts()}; within data.maxFailureFraction (${this.allowance()})`;
  }

  report(): FailureReport {
    return { failed: this.failed, seen: this.seen, allowed: this.allowed(), fullPass: this.fullPass, examples: this.examples.map((e) => ({ ...e })) };
  }

  private counts(): string {
    return `${this.failed} of ${this.seen} samples were bad and skipped (${pct(this.seen ? this.failed / this.seen : 0)})`;
  }

  private allowance(): string {
    if (this.maxFraction === 0) return '0: any bad sample is fatal';
    const base = this.fullPass ? `${this.seen} seen, a full pass` : `max(${this.seen} seen, ${this.minSeen})`;
    return `${pct(this.maxFraction)} × ${base} = ${round(this.allowed())} bad samples`;
  }
}

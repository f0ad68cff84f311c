/**
 * The bad-sample rule (README, "Bad samples"): bad > maxFailureFraction × max(seen, minimum)
 * stops the run, judged after every sample, and bad > maxFailureFraction × seen once a whole
 * pass has been read; the summary line states the allowance it was judged against.
 */
import { strict as assert } from 'node:assert';
import { FailureTracker } from '../../../core/data/failures';
import { DataError } from '../../../core/errors';
import { Logger } from '../../../core/logger';

const quiet = new Logger('silent');
const tracker = (fraction: number): FailureTracker => new FailureTracker(fraction, FailureTracker.defaultMinSeen(fraction), quiet);

describe('the bad-sample rule (FailureTracker)', () => {
  it('has a minimum of ten bad samples\' worth, between 20 and 1000 samples', () => {
    assert.deepEqual([0, 0.0001, 0.001, 0.01, 0.1, 0.5, 1].map(FailureTracker.defaultMinSeen), [1, 1000, 1000, 1000, 100, 20, 20]);
  });

  it('mid-pass, lets 1 bad sample among the first 40 through at 1% (the floor), and says so in the summary', () => {
    const t = tracker(0.01);
    for (let i = 0; i < 39; i++) t.recordSuccess();
    t.recordFailure('a.jpg', 'truncated');
    assert.equal(t.summary(), '1 of 40 samples were bad and skipped (2.50%); within data.maxFailureFraction (1.00% × max(40 seen, 1000) = 10 bad samples)');
  });

  it('stops a dataset of 40 with 1 bad image at the end of its first pass at 1% (the run the issue reported)', () => {
    const t = tracker(0.01);
    for (let i = 0; i < 39; i++) t.recordSuccess();
    t.recordFailure('a.jpg', 'truncated');
    assert.throws(
      () => t.completePass(),
      (err: unknown) =>
        err instanceof DataError &&
        err.message === '1 of 40 samples were bad and skipped (2.50%), more than data.maxFailureFraction allows (1.00% × 40 seen, a full pass = 0.40 bad samples); first: a.jpg: truncated',
    );
    assert.equal(t.report().fullPass, true);
  });

  it('after a full pass, keeps judging the exact fraction (no floor), and accepts what is within it', () => {
    const t = tracker(0.05);
    for (let i = 0; i < 38; i++) t.recordSuccess();
    t.recordFailure('a.jpg', 'truncated');
    t.recordFailure('b.jpg', 'truncated'); // 2 of 40: exactly 5%
    t.completePass();
    assert.equal(t.summary(), '2 of 40 samples were bad and skipped (5.00%); within data.maxFailureFraction (5.00% × 40 seen, a full pass = 2 bad samples)');
    // The second epoch sees the same bad images again: the fraction stays 5%, within the limit.
    for (let i = 0; i < 38; i++) t.recordSuccess();
    t.recordFailure('a.jpg', 'truncated');
    t.recordFailure('b.jpg', 'truncated');
    t.completePass();
    // A third bad one in the next pass, early on, breaks the exact rule at once (floor would have allowed 10).
    assert.throws(() => t.recordFailure('c.jpg', 'zero bytes'), /^DataError: 5 of 81 samples were bad and skipped \(6\.17%\), more than data\.maxFailureFraction allows \(5\.00% × 81 seen, a full pass = 4\.05 bad samples\)/);
  });

  it('at 1%, stops at the eleventh bad sample among the first thousand, naming the first three offenders', () => {
    const t = tracker(0.01);
    for (let i = 1; i <= 10; i++) t.recordFailure(`bad${i}.jpg`, `reason ${i}`);
    assert.throws(
      () => t.recordFailure('bad11.jpg', 'reason 11'),
      (err: unknown) =>
        err instanceof DataError &&
        err.message === '11 of 11 samples were bad and skipped (100.0%), more than data.maxFailureFraction allows (1.00% × max(11 seen, 1000) = 10 bad samples); first: bad1.jpg: reason 1; bad2.jpg: reason 2; bad3.jpg: reason 3',
    );
  });

  it('from the minimum on, judges the fraction itself', () => {
    const t = tracker(0.01);
    for (let i = 0; i < 1980; i++) t.recordSuccess();
    for (let i = 0; i < 20; i++) t.recordFailure(`b${i}`, 'x'); // 20 of 2000: exactly 1%, allowed
    t.recordSuccess();
    assert.throws(() => t.recordFailure('b20', 'x'), /^DataError: 21 of 2002 samples were bad and skipped \(1\.05%\), more than data\.maxFailureFraction allows \(1\.00% × max\(2002 seen, 1000\) = 20\.02 bad samples\)/);
  });

  it('with 0, stops at the first bad sample; with 1, never', () => {
    const strict = tracker(0);
    strict.recordSuccess();
    assert.throws(() => strict.recordFailure('x.png', 'empty file'), /1 of 2 samples were bad.*\(0: any bad sample is fatal\); first: x\.png: empty file$/);
    const lax = tracker(1);
    for (let i = 0; i < 50; i++) lax.recordFailure(`b${i}`, 'x');
    assert.equal(lax.report().failed, 50);
    assert.throws(() => new FailureTracker(1.5, 20, quiet), RangeError);
  });
});

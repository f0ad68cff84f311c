import * as tf from '@tensorflow/tfjs';
import type { Dataset, Sample } from '../contracts/dataset';
import { DataError } from '../errors';
import type { Logger } from '../logger';
import { captionCandidates, chooseCaption } from './captions';
import { toDecodeInput, type DecodeOutcome } from './decode';
import { DecodePool } from './decode-pool';
import { FailureTracker, type FailureReport } from './failures';
import type { RankShard } from './shard';

/** Where a loader stands: `offset` samples of `epoch` are consumed (delivered, or skipped as bad). */
export interface LoaderPosition {
  epoch: number;
  offset: number;
}

export interface LoaderOptions {
  batchSize: number;
  /** Every image is decoded and resized (cover: short side to loadSize, centre crop) to loadSize x loadSize x 3. */
  loadSize: number;
  /** sharp decoding worker threads; 0 decodes inline. */
  workers: number;
  /** Batches decoded ahead of the consumer. */
  prefetchBatches: number;
  seed: number;
  shuffle: boolean;
  /** true: epochs roll over forever (training); false: a single pass. */
  repeat: boolean;
  /** Drop an epoch's last partial batch. Default: `repeat`. */
  dropLast?: boolean;
  /**
   * Bad samples (see FailureTracker) are skipped and counted; the run stops with a DataError as
   * soon as bad > maxFailureFraction × max(samples seen, minSamplesForFailureCheck), and without the
   * floor once a whole pass has been read. 0: any is fatal.
   */
  maxFailureFraction: number;
  /** The sample count the allowance starts from. Default: FailureTracker.defaultMinSeen(maxFailureFraction). */
  minSamplesForFailureCheck?: number;
  /** Resume: replay epoch `start.epoch` and skip its first `start.offset` samples. */
  start?: LoaderPosition;
  /** A data-parallel rank's share of every epoch (batchSize is then this rank's part of the global batch). */
  shard?: RankShard;
  log: Logger;
}

/**
 * The side images are decoded to before augmentation: data.loadSize, else 8/7 of the model
 * input (224 -> 256, as ImageNet-style pipelines resize before cropping).
 */
export function loadSizeFor(data: { imageSize: number; loadSize?: number }): number {
  return data.loadSize ?? Math.round((data.imageSize * 8) / 7);
}

export interface Batch {
  /** float32 [B, loadSize, loadSize, 3] in [0, 1]; the caller disposes it. */
  images: tf.Tensor4D;
  /** One caption per sample ('' when none), chosen seeded per (seed, epoch, key). */
  captions: string[];
  /** -1 when none. */
  labels: Int32Array;
  keys: string[];
  /** Position after this batch: what a checkpoint saves to resume from. */
  position: LoaderPosition;
}

interface SampleItem {
  kind: 'sample';
  epoch: number;
  offsetAfter: number;
  key: string;
  origin: string;
  caption: string;
  label: number;
  outcome: Promise<DecodeOutcome>;
}

/** `fromStart`: the epoch was read from its first sample (not resumed part-way). */
type QueueItem = SampleItem | { kind: 'epoch-end'; epoch: number; fromStart: boolean } | { kind: 'error'; error: Error };

interface DecodedSample {
  item: SampleItem;
  pixels: Uint8Array;
}

/**
 * Turns a dataset into batches of decoded images with captions and labels. A reader pulls
 * samples in dataset order and hands their images to the decode pool as soon as they are
 * read, keeping up to `prefetchBatches` batches in flight ahead of the consumer; batches
 * are assembled in dataset order whatever order decodes finish in, so a run is the same
 * with any number of workers. Bad samples (a problem the dataset reports, or an image that
 * does not decode) are skipped and counted under one rule: see FailureTracker.
 */
export class DataLoader {
  private readonly pool: DecodePool;
  private readonly failures: FailureTracker;
  private readonly dropLast: boolean;
  private readonly capacity: number;
  private readonly queue: QueueItem[] = [];
  private queuedSamples = 0;
  private filling?: Promise<void>;
  private iterator?: AsyncIterator<Sample>;
  private readEpoch: number;
  private readOffset = 0;
  private skipUntil: number;
  private readerDone = false;
  private finished = false;
  private closed = false;
  private pending = false;
  private lastDeliveredEpoch = -1;
  private fatal?: Error;

  constructor(
    private readonly dataset: Dataset,
    private readonly options: LoaderOptions,
  ) {
    const { batchSize, loadSize, prefetchBatches, maxFailureFraction, start } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(loadSize) || loadSize < 1) throw new RangeError(`loadSize must be a positive integer, got ${loadSize}`);
    if (start && (start.epoch < 0 || start.offset < 0)) throw new RangeError(`invalid start position ${JSON.stringify(start)}`);
    this.dropLast = options.dropLast ?? options.repeat;
    this.capacity = (Math.max(0, prefetchBatches) + 1) * batchSize;
    this.readEpoch = start?.epoch ?? 0;
    this.skipUntil = start?.offset ?? 0;
    const minSeen = options.minSamplesForFailureCheck ?? FailureTracker.defaultMinSeen(maxFailureFraction);
    this.failures = new FailureTracker(maxFailureFraction, minSeen, options.log);
    this.pool = new DecodePool(Math.max(0, options.workers), options.log);
  }

  /** The next batch, or undefined when a non-repeating pass is done. One call at a time. */
  async next(): Promise<Batch | undefined> {
    if (this.closed) throw new Error('DataLoader.next() after close()');
    if (this.pending) throw new Error('DataLoader.next() while a previous call is still pending: await each call');
    if (this.fatal) throw this.fatal;
    if (this.finished) return undefined;
    this.pending = true;
    try {
      return await this.assemble();
    } catch (err) {
      this.fatal = err as Error;
      throw err;
    } finally {
      this.pending = false;
    }
  }

  /** Decoding worker threads started (0: decoding inline). */
  get workerThreads(): number {
    return this.pool.workerCount;
  }

  failureReport(): FailureReport {
    return this.failures.report();
  }

  /** One line on the bad samples skipped so far, with the allowance they were judged against. */
  failureSummary(): string {
    return this.failures.summary();
  }

  /** Stops reading, waits for the reader, closes the dataset iterator and terminates the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.readerDone = true;
    await this.filling;
    await this.iterator?.return?.();
    this.iterator = undefined;
    this.queue.length = 0;
    await this.pool.close();
  }

  private async assemble(): Promise<Batch | undefined> {
    const parts: DecodedSample[] = [];
    for (;;) {
      if (parts.length === this.options.batchSize) return this.toBatch(parts);
      const item = await this.take();
      if (!item) break;
      if (item.kind === 'error') throw item.error;
      if (item.kind === 'epoch-end') {
        // A pass read from its first sample is the whole dataset: its fraction is exact.
        if (item.fromStart) this.failures.completePass();
        else this.failures.check();
        if (parts.length > 0 && this.dropLast) parts.length = 0;
        if (parts.length > 0) return this.toBatch(parts);
        if (this.options.repeat && item.fromStart && this.lastDeliveredEpoch !== item.epoch) {
          const { failed, seen } = this.failures.report();
          throw new DataError(
            `epoch ${item.epoch} did not fill a single batch of ${this.options.batchSize} ` +
              `(samples decoded so far: ${seen - failed}, bad: ${failed}); use a smaller batch or more data`,
          );
        }
        if (!this.options.repeat) break;
        continue;
      }
      const outcome = await item.outcome;
      if (outcome.ok) {
        this.failures.recordSuccess();
        parts.push({ item, pixels: outcome.pixels });
      } else {
        this.failures.recordFailure(item.origin, outcome.reason);
      }
    }
    this.finished = true;
    return parts.length > 0 && !this.dropLast ? this.toBatch(parts) : undefined;
  }

  /** Packs decoded uint8 pixels into one float32 tensor in [0, 1], created on this thread. */
  private toBatch(parts: DecodedSample[]): Batch {
    const size = this.options.loadSize;
    const perImage = size * size * 3;
    const data = new Float32Array(parts.length * perImage);
    for (let i = 0; i < parts.length; i++) {
      const px = parts[i].pixels;
      const base = i * perImage;
      for (let j = 0; j < perImage; j++) data[base + j] = px[j] / 255;
    }
    const last = parts[parts.length - 1].item;
    this.lastDeliveredEpoch = last.epoch;
    return {
      images: tf.tensor4d(data, [parts.length, size, size, 3], 'float32'),
      captions: parts.map((p) => p.item.caption),
      labels: Int32Array.from(parts, (p) => p.item.label),
      keys: parts.map((p) => p.item.key),
      position: { epoch: last.epoch, offset: this.options.shard ? this.options.shard.worldOffset(last.offsetAfter) : last.offsetAfter },
    };
  }

  /** The next queued item, reading more when the queue is empty; undefined at the end of the data. */
  private async take(): Promise<QueueItem | undefined> {
    for (;;) {
      const item = this.queue.shift();
      if (item) {
        if (item.kind === 'sample') this.queuedSamples--;
        this.startReading();
        return item;
      }
      if (this.readerDone) return undefined;
      this.startReading();
      await this.filling;
    }
  }

  private startReading(): void {
    if (this.filling || this.readerDone) return;
    this.filling = this.read().finally(() => {
      this.filling = undefined;
    });
  }

  /** Reads samples and starts their decodes until the prefetch capacity is reached. Never throws: errors are queued in order. */
  private async read(): Promise<void> {
    try {
      while (!this.readerDone && this.queuedSamples < this.capacity) {
        this.iterator ??= this.dataset
          .samples({ seed: this.options.seed, epoch: this.readEpoch, shuffle: this.options.shuffle })
          [Symbol.asyncIterator]();
        const result = await this.iterator.next();
        if (this.closed) return;
        if (result.done) this.endEpoch();
        else this.enqueue(result.value);
      }
    } catch (err) {
      this.queue.push({ kind: 'error', error: err as Error });
      this.readerDone = true;
    }
  }

  private endEpoch(): void {
    const fromStart = this.skipUntil === 0;
    if (fromStart && this.readOffset === 0) {
      throw new DataError(`the dataset yielded no samples in epoch ${this.readEpoch}`);
    }
    this.queue.push({ kind: 'epoch-end', epoch: this.readEpoch, fromStart });
    this.iterator = undefined;
    if (!this.options.repeat) {
      this.readerDone = true;
      return;
    }
    this.readEpoch++;
    this.readOffset = 0;
    this.skipUntil = 0;
  }

  private enqueue(sample: Sample): void {
    this.readOffset++;
    if (this.readOffset <= this.skipUntil) return; // resuming: consumed before the checkpoint
    if (this.options.shard && !this.options.shard.owns(this.readOffset - 1)) return; // another rank's sample
    // A sample the dataset could not supply is not decoded: it is counted like an undecodable image.
    const outcome: Promise<DecodeOutcome> =
      sample.problem !== undefined ? Promise.resolve({ ok: false, reason: sample.problem }) : this.pool.decode(toDecodeInput(sample.image), this.options.loadSize);
    outcome.catch(() => undefined); // awaited (and rethrown) by the consumer; never an unhandled rejection
    this.queue.push({
      kind: 'sample',
      epoch: this.readEpoch,
      offsetAfter: this.readOffset,
      key: sample.key,
      origin: sample.image.origin,
      caption: chooseCaption(captionCandidates(sample, this.dataset), this.options.seed, this.readEpoch, sample.key),
      label: sample.label ?? -1,
      outcome,
    });
    this.queuedSamples++;
  }
}

/**
 * This rank's share of every epoch, as PyTorch's DistributedSampler gives it but in blocks:
 * the epoch order is cut into global batches of `size × batchSize` positions, and rank r
 * takes the r-th run of `batchSize` positions of each, so the ranks' batches of one step,
 * concatenated in rank order, are exactly the single-process batch of the same seed. The
 * epoch's last partial global batch is dropped on every rank (as dropLast drops it in one
 * process), which needs the epoch's length.
 */
export class RankShard {
  readonly globalBatch: number;
  /** Positions per epoch that fall in whole global batches. */
  private readonly usable: number;

  constructor(
    readonly rank: number,
    readonly size: number,
    readonly batchSize: number,
    epochSize: number,
  ) {
    if (!(rank >= 0 && rank < size)) throw new RangeError(`rank ${rank} is outside a world of ${size}`);
    this.globalBatch = batchSize * size;
    this.usable = Math.floor(epochSize / this.globalBatch) * this.globalBatch;
  }

  /** Whether the sample at 0-based `position` of the epoch order is this rank's. */
  owns(position: number): boolean {
    return position < this.usable && Math.floor((position % this.globalBatch) / this.batchSize) === this.rank;
  }

  /**
   * The position the whole world has reached once this rank consumed up to `offsetAfter`:
   * the end of that global batch. Every rank reports the same, so rank 0's checkpoint
   * resumes every rank (with any world size that divides the batch).
   */
  worldOffset(offsetAfter: number): number {
    return Math.ceil(offsetAfter / this.globalBatch) * this.globalBatch;
  }
}

/**
 * Images per second over a window that restarts every `everySteps` steps and at the last
 * step (the tracker's cadence). The training loop measures it once per step and hands it to
 * every hook in the step's report, so the progress line and the tracker's `img_per_s` are
 * the same figure.
 */
export class Throughput {
  private windowStart = 0;
  private images = 0;

  constructor(
    private readonly everySteps: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  restart(): void {
    this.windowStart = this.clock();
    this.images = 0;
  }

  /** Counts step `step`'s images and returns the rate over the window so far; restarts the window at a boundary. */
  record(step: number, totalSteps: number, images: number): number {
    this.images += images;
    const now = this.clock();
    const rate = (this.images * 1000) / Math.max(1, now - this.windowStart);
    if (step % this.everySteps === 0 || step === totalSteps) {
      this.windowStart = now;
      this.images = 0;
    }
    return rate;
  }
}

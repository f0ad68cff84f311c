import type { Tracker } from '../../contracts/tracker';
import { metricsRow, type RunContext, type StepReport, type TrainingHook } from './hook';
import { Throughput } from './throughput';

/** Sends the step's figures and `img_per_s` to the tracker every `logEvery` steps and at the last step. */
export class TrackerHook implements TrainingHook {
  private readonly throughput: Throughput;

  constructor(
    private readonly tracker: Pick<Tracker, 'logMetrics'>,
    private readonly logEvery: number,
    clock: () => number = () => performance.now(),
  ) {
    this.throughput = new Throughput(logEvery, clock);
  }

  beforeRun(): void {
    this.throughput.restart();
  }

  afterStep(ctx: RunContext, step: StepReport): void {
    const imagesPerSecond = this.throughput.record(ctx.step, ctx.totalSteps, step.images);
    if (ctx.step % this.logEvery === 0 || ctx.isLastStep) this.tracker.logMetrics({ ...metricsRow(step), img_per_s: imagesPerSecond }, ctx.step);
  }
}

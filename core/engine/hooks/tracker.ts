import type { Tracker } from '../../contracts/tracker';
import { metricsRow, type RunContext, type StepReport, type TrainingHook } from './hook';

/** Sends the step's figures and `img_per_s` to the tracker every `logEvery` steps and at the last step. */
export class TrackerHook implements TrainingHook {
  constructor(
    private readonly tracker: Pick<Tracker, 'logMetrics'>,
    private readonly logEvery: number,
  ) {}

  /** The figures of every `logEvery`-th step go out when it is taken, not a read later. */
  syncAt(ctx: RunContext, step: number): boolean {
    return step % this.logEvery === 0;
  }

  afterStep(ctx: RunContext, step: StepReport): void {
    if (ctx.step % this.logEvery === 0 || ctx.isLastStep) this.tracker.logMetrics({ ...metricsRow(step), img_per_s: step.imagesPerSecond }, ctx.step);
  }
}

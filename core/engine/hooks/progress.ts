import type { Progress } from '../progress';
import type { RunContext, StepReport, TrainingHook } from './hook';

/** The CLI's progress bar (or plain lines off a TTY): step, losses, lr, img/s and ETA after every step. */
export class ProgressHook implements TrainingHook {
  private runStart = 0;

  constructor(
    private readonly progress: Progress,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  beforeRun(ctx: RunContext): void {
    this.progress.start(ctx.totalSteps, ctx.startStep);
    this.runStart = this.clock();
  }

  /** The progress shown moves at least every `logEvery` steps where the loop defers its reads. */
  syncAt(_ctx: RunContext, step: number): boolean {
    return step % this.progress.everySteps === 0;
  }

  afterStep(ctx: RunContext, step: StepReport): void {
    const perStepS = (this.clock() - this.runStart) / 1000 / (ctx.step - ctx.startStep);
    this.progress.update({ step: ctx.step, totalSteps: ctx.totalSteps, loss: step.loss, losses: step.losses, lr: step.lr, imagesPerSecond: step.imagesPerSecond, etaSeconds: perStepS * (ctx.totalSteps - ctx.step) });
  }

  /** Stops the bar before anything else prints (the final evaluation's line, the stop warning). */
  afterRun(): void {
    this.progress.stop();
  }
}

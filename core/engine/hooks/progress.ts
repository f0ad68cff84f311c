import type { Progress } from '../progress';
import type { RunContext, StepReport, TrainingHook } from './hook';
import { Throughput } from './throughput';

/** The CLI's progress bar (or plain lines off a TTY): step, losses, lr, img/s and ETA after every step. */
export class ProgressHook implements TrainingHook {
  private readonly throughput: Throughput;
  private runStart = 0;

  constructor(
    private readonly progress: Progress,
    logEvery: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.throughput = new Throughput(logEvery, clock);
  }

  beforeRun(ctx: RunContext): void {
    this.progress.start(ctx.totalSteps, ctx.startStep);
    this.throughput.restart();
    this.runStart = this.clock();
  }

  afterStep(ctx: RunContext, step: StepReport): void {
    const imagesPerSecond = this.throughput.record(ctx.step, ctx.totalSteps, step.images);
    const perStepS = (this.clock() - this.runStart) / 1000 / (ctx.step - ctx.startStep);
    this.progress.update({ step: ctx.step, totalSteps: ctx.totalSteps, loss: step.loss, losses: step.losses, lr: step.lr, imagesPerSecond, etaSeconds: perStepS * (ctx.totalSteps - ctx.step) });
  }

  /** Stops the bar before anything else prints (the final evaluation's line, the stop warning). */
  afterRun(): void {
    this.progress.stop();
  }
}

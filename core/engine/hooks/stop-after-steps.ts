import type { RunContext, TrainingHook } from './hook';

/** Stops the run (as if interrupted: checkpoint, status KILLED) after `steps` steps of this session. Tests use it to interrupt and resume. */
export class StopAfterSteps implements TrainingHook {
  constructor(private readonly steps: number) {}

  syncAt(ctx: RunContext, step: number): boolean {
    return step - ctx.startStep >= this.steps;
  }

  afterStep(ctx: RunContext): void {
    if (ctx.step - ctx.startStep >= this.steps) ctx.requestStop(`stopAfterSteps ${this.steps}`);
  }
}

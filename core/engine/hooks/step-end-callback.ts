import type { RunContext, TrainingHook } from './hook';

/** Calls `callback(step)` after every step is fully applied (tests watch tensor counts with it). */
export class StepEndCallback implements TrainingHook {
  constructor(private readonly callback: (step: number) => void) {}

  afterStep(ctx: RunContext): void {
    this.callback(ctx.step);
  }
}

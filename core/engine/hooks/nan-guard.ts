import { TrainingError } from '../../errors';
import type { RunContext, StepReport, TrainingHook } from './hook';

/**
 * Fails the run on a non-finite objective loss, naming the step and the objective. It checks
 * before the step is counted, so nothing records the step and no checkpoint holds its
 * weights: the last good checkpoint stays `last`.
 */
export class NanGuard implements TrainingHook {
  checkStep(ctx: RunContext, step: StepReport): void {
    for (const [label, value] of Object.entries(step.losses)) {
      if (!Number.isFinite(value)) throw new TrainingError(`step ${ctx.step}: the loss of objective "${label}" is ${value}; stopping (the last good checkpoint is kept)`);
    }
  }
}

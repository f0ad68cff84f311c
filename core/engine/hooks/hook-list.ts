import type { Logger } from '../../logger';
import type { RunContext, RunEnd, StepReport, StepUpdate, TrainingHook } from './hook';

/** Calls a list of hooks phase by phase, each phase in list order (TrainingHook describes the phases). */
export class HookList {
  constructor(
    private readonly hooks: readonly TrainingHook[],
    private readonly log: Pick<Logger, 'warn'>,
  ) {}

  async beforeRun(ctx: RunContext): Promise<void> {
    for (const hook of this.hooks) await hook.beforeRun?.(ctx);
  }

  afterUpdate(ctx: RunContext, update: StepUpdate): void {
    for (const hook of this.hooks) hook.afterUpdate?.(ctx, update);
  }

  /** Whether any hook needs the figures read once `step` steps are done. */
  syncAt(ctx: RunContext, step: number): boolean {
    return this.hooks.some((hook) => hook.syncAt?.(ctx, step) ?? false);
  }

  checkStep(ctx: RunContext, step: StepReport): void {
    for (const hook of this.hooks) hook.checkStep?.(ctx, step);
  }

  async afterStep(ctx: RunContext, step: StepReport): Promise<void> {
    for (const hook of this.hooks) await hook.afterStep?.(ctx, step);
  }

  /**
   * Calls every hook's afterRun once, in order, and returns how the run ended: once a hook
   * throws, the hooks after it see FAILED and the run fails with that error. A failed run
   * keeps its first error; later ones are logged.
   */
  async afterRun(ctx: RunContext, status: RunEnd, error?: Error): Promise<{ status: RunEnd; error?: Error }> {
    for (const hook of this.hooks) {
      try {
        await hook.afterRun?.(ctx, error ? 'FAILED' : status);
      } catch (err) {
        if (error) this.log.warn(`while ending a failed run: ${(err as Error).message}`);
        else error = err as Error;
      }
    }
    return error ? { status: 'FAILED', error } : { status };
  }
}

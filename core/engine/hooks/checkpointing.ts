import type { TrainingState } from '../../checkpoint/store';
import type { Logger } from '../../logger';
import type { RunContext, RunEnd, TrainingHook } from './hook';

/** Writes a checkpoint of the run's state (weights, optimizer, random streams); `best` also moves the best pointer. */
export interface CheckpointWriter {
  save(state: TrainingState, best: boolean): string | Promise<string>;
}

/**
 * Writes checkpoints: when a hook asks (a new best evaluation), every `checkpointEvery`
 * steps (but not at the last, which the final checkpoint covers), when the run stops early
 * (KILLED: once, unless this step is saved already), and at the end of a finished run.
 */
export class Checkpointing implements TrainingHook {
  private savedAt = -1;

  constructor(
    private readonly writer: CheckpointWriter,
    /** `train.checkpointEvery`; 0: only best, stop and final checkpoints. */
    private readonly checkpointEvery: number,
    private readonly log: Pick<Logger, 'debug'>,
  ) {}

  /** A checkpoint at a step must hold that step's weights. */
  syncAt(_ctx: RunContext, step: number): boolean {
    return this.checkpointEvery > 0 && step % this.checkpointEvery === 0;
  }

  async afterStep(ctx: RunContext): Promise<void> {
    const request = ctx.takeCheckpointRequest();
    const due = this.checkpointEvery > 0 && ctx.step % this.checkpointEvery === 0 && !ctx.isLastStep;
    if (request || due) await this.save(ctx, request?.best ?? false);
  }

  async afterRun(ctx: RunContext, end: RunEnd): Promise<void> {
    if (end === 'FINISHED') await this.save(ctx, ctx.takeCheckpointRequest()?.best ?? false);
    else if (end === 'KILLED' && this.savedAt !== ctx.step) await this.save(ctx, false);
  }

  private async save(ctx: RunContext, best: boolean): Promise<void> {
    // Reading the weights back from the device is asynchronous (a GPU backend cannot read synchronously).
    const saving = this.writer.save(ctx.state, best);
    this.savedAt = ctx.step;
    this.log.debug(`checkpoint ${await saving}`);
  }
}

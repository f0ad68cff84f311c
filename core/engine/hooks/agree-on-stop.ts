import type { World } from '../../distributed/world';
import type { RunContext, TrainingHook } from './hook';

/**
 * Makes a stop request (SIGTERM from SLURM reaches the ranks at slightly different times)
 * the whole world's: after every step the ranks sum their stop flags in one tiny
 * all-reduce, and all stop after the same step when any asked, so rank 0's checkpoint
 * covers every rank and none is left waiting in a collective.
 */
export class AgreeOnStop implements TrainingHook {
  constructor(private readonly world: World) {}

  /** Every rank takes part in the all-reduce after every step. */
  syncAt(): boolean {
    return true;
  }

  afterStep(ctx: RunContext): void {
    const flag = new Float64Array([ctx.stopRequested ? 1 : 0]);
    this.world.allReduceSum(flag);
    if (flag[0] > 0) ctx.requestStop('a peer rank stopped');
  }
}

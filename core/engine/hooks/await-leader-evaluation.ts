import type { World } from '../../distributed/world';
import type { RunContext, TrainingHook } from './hook';

/** How long the other ranks wait for rank 0's periodic evaluation: SLIPKIT_EVAL_TIMEOUT_S, default 6 hours. */
export function evaluationTimeoutS(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.SLIPKIT_EVAL_TIMEOUT_S);
  return s > 0 ? s : 6 * 3600;
}

/**
 * Rank 0 alone evaluates every `evalEvery` steps; the other ranks would meanwhile wait in the
 * next step's first collective and time out on a long evaluation. Instead every rank meets
 * in a barrier after the evaluation hook, bounded by the evaluation timeout.
 */
export class AwaitLeaderEvaluation implements TrainingHook {
  constructor(
    private readonly world: World,
    private readonly evalEvery: number | undefined,
    private readonly timeoutS = evaluationTimeoutS(),
  ) {}

  syncAt(_ctx: RunContext, step: number): boolean {
    return !!this.evalEvery && step % this.evalEvery === 0;
  }

  afterStep(ctx: RunContext): void {
    const every = this.evalEvery;
    if (every && ctx.step % every === 0 && !ctx.isLastStep) this.world.barrier(this.timeoutS);
  }
}

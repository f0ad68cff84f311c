import type { Tracker } from '../../contracts/tracker';
import type { RunContext, RunEnd, TrainingHook } from './hook';

export interface EvaluationOptions {
  /** Runs every evaluator of the spec at a step; metrics by `<label>/<metric>`. */
  evaluate(step: number): Promise<Record<string, number>>;
  tracker?: Pick<Tracker, 'logMetrics'>;
  /** Prints a line without breaking the progress bar. */
  note(line: string): void;
  /** `train.evalEvery`: evaluate every this many steps (never at the last, which the final evaluation covers). */
  evalEvery?: number;
  /** `train.bestMetric`: the metric (higher is better) that marks a checkpoint as `best`. */
  bestMetric?: string;
}

/**
 * Evaluates every `evalEvery` steps and once at the end of a finished run, prints and
 * tracks the metrics, and asks for a `best` checkpoint when `bestMetric` improves.
 */
export class Evaluation implements TrainingHook {
  private evaluatedAt = -1;

  constructor(private readonly opts: EvaluationOptions) {}

  /** An evaluation at a step must see that step's weights. */
  syncAt(_ctx: RunContext, step: number): boolean {
    return !!this.opts.evalEvery && step % this.opts.evalEvery === 0;
  }

  async afterStep(ctx: RunContext): Promise<void> {
    const every = this.opts.evalEvery;
    if (every && ctx.step % every === 0 && !ctx.isLastStep) await this.evaluate(ctx);
  }

  async afterRun(ctx: RunContext, end: RunEnd): Promise<void> {
    if (end === 'FINISHED' && this.evaluatedAt !== ctx.step) await this.evaluate(ctx);
  }

  private async evaluate(ctx: RunContext): Promise<void> {
    const metrics = await this.opts.evaluate(ctx.step);
    if (Object.keys(metrics).length) {
      this.opts.note(`eval @ step ${ctx.step}: ${Object.entries(metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`);
      this.opts.tracker?.logMetrics(metrics, ctx.step);
    }
    ctx.evalMetrics = metrics;
    this.evaluatedAt = ctx.step;
    if (this.improvesBest(ctx, metrics)) ctx.requestCheckpoint(true);
  }

  /** Whether `metrics` improve on the best so far (higher is better), updating the run's record. */
  private improvesBest(ctx: RunContext, metrics: Record<string, number>): boolean {
    const key = this.opts.bestMetric;
    if (!key || metrics[key] === undefined) return false;
    if (ctx.state.best && ctx.state.best.value >= metrics[key]) return false;
    ctx.state.best = { metric: key, value: metrics[key], step: ctx.step };
    return true;
  }
}

import type { TrainingState } from '../../checkpoint/store';
import type { RunStatus } from '../../contracts/tracker';

/** A finished step as hooks see it. */
export interface StepReport {
  /** Weighted total loss. */
  loss: number;
  /** Each objective's own loss, by label, in spec order. */
  losses: Record<string, number>;
  /**
   * `grad_norm` and the objectives' `<label>/<metric>` figures. An afterStep hook may add
   * figures here for the hooks after it to record (the momentum hook adds `<label>/momentum`).
   */
  metrics: Record<string, number>;
  lr: number;
  /** Images the step consumed (all micro-batches). */
  images: number;
  /** Images per second over the current `logEvery` window, measured once by the loop (Throughput). */
  imagesPerSecond: number;
}

export type RunEnd = Exclude<RunStatus, 'RUNNING'>;

/** A step just applied by the optimizer, before its figures are read. */
export interface StepUpdate {
  /** The step's index (0-based: the count before it). */
  index: number;
  /** Host figures a hook adds to the step's report (the momentum hook adds `<label>/momentum`). */
  metrics: Record<string, number>;
}

/**
 * A periodic or end-of-run task of the training loop. The loop (Trainer.run) calls every
 * phase on every hook in list order (core/engine/hooks/index.ts says why the order is what it is):
 *
 * - `beforeRun` once, before the first step of this session (ctx.step is 0, or the resumed step);
 * - `afterUpdate` right after each optimizer update, before the next step and before the step's
 *   figures are read: work that must happen between steps and needs no figures (EMA updates);
 * - per step, once its figures are read: `checkStep` while the step is not yet counted (ctx.step
 *   is its index; throw to fail the run without recording it), then the step is counted
 *   (ctx.step, the loss curve and the data position advance), then `afterStep`; after
 *   `afterStep` the loop stops if a stop was requested and this was not the last step;
 * - `afterRun` exactly once per hook, also when a step or an earlier hook failed, with
 *   FINISHED (the last step is done: final tasks), KILLED (a stop was requested) or FAILED.
 *   If a hook throws from afterRun, the hooks after it see FAILED. Hooks must not throw on FAILED.
 *
 * Reading figures back waits for the device (on a GPU, for its whole queue), so where the
 * backend queues work the loop reads several steps' figures at once and runs their
 * checkStep/afterStep then, in order, while the weights are those of the last of them. A hook
 * that acts on the weights or the run's state at a step (evaluation, checkpoints, stops) or
 * must see a step's figures promptly (the tracker at `logEvery`) says so in `syncAt`: the loop
 * then reads before the next step. Where reads cost nothing (CPU backends) it reads every step.
 */
export interface TrainingHook {
  beforeRun?(ctx: RunContext): void | Promise<void>;
  afterUpdate?(ctx: RunContext, update: StepUpdate): void;
  /** Whether the loop must read the figures, and run checkStep/afterStep, once `step` steps are done (before the next step). */
  syncAt?(ctx: RunContext, step: number): boolean;
  checkStep?(ctx: RunContext, step: StepReport): void;
  afterStep?(ctx: RunContext, step: StepReport): void | Promise<void>;
  afterRun?(ctx: RunContext, end: RunEnd): void | Promise<void>;
}

/** The figures a step's row holds in metrics.jsonl and the tracker: loss, lr, `<label>/loss`, then the step's metrics. */
export function metricsRow(step: StepReport): Record<string, number> {
  return { loss: step.loss, lr: step.lr, ...Object.fromEntries(Object.entries(step.losses).map(([k, v]) => [`${k}/loss`, v])), ...step.metrics };
}

/** What every hook sees: where the run stands, its checkpointed state, and the requests hooks make of each other. */
export class RunContext {
  /** The step this session started at: 0, or the step of the checkpoint it resumed. */
  readonly startStep: number;
  /** The latest evaluation's metrics ({} before the first); the run reports them as its result. */
  evalMetrics: Record<string, number> = {};
  private stop?: string;
  private checkpoint?: { best: boolean };

  constructor(
    /** The checkpointed state: steps done, loss curve, data position, best evaluation. */
    readonly state: TrainingState,
    readonly totalSteps: number,
  ) {
    this.startStep = state.step;
  }

  /** Steps done (in afterStep, including the step just taken). */
  get step(): number {
    return this.state.step;
  }

  get isLastStep(): boolean {
    return this.state.step === this.totalSteps;
  }

  /** Asks the loop to stop after this step, with a checkpoint (the first reason is kept). */
  requestStop(reason: string): void {
    this.stop ??= reason;
  }

  get stopRequested(): string | undefined {
    return this.stop;
  }

  /** Asks the checkpoint hook to write a checkpoint after this step (or at the end), as `best` if so. */
  requestCheckpoint(best: boolean): void {
    this.checkpoint = { best: best || (this.checkpoint?.best ?? false) };
  }

  /** The pending checkpoint request, which this call clears. */
  takeCheckpointRequest(): { best: boolean } | undefined {
    const request = this.checkpoint;
    this.checkpoint = undefined;
    return request;
  }
}

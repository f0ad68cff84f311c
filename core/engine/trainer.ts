import type { LoadedCheckpoint, TrainingState } from '../checkpoint/store';
import type { RunStatus } from '../contracts/tracker';
import { DataLoader, loadSizeFor, type Batch } from '../data/loader';
import { TrainingError } from '../errors';
import type { Logger } from '../logger';
import { Rng } from '../random';
import { emaParams, trainableParams, type Experiment } from './experiment';
import { HookList, RunContext, trainingHooks, type RunEnd, type StepReport } from './hooks';
import { AdamW } from './optim/adamw';
import { learningRate } from './schedule';
import { TrainingCheckpoints } from './train-checkpoints';
import { trainStep, type TrainState, type TrainStepOutcome } from './train-step';
import { disposeStepFigures, readStepFigures } from './step-figures';
import { Throughput } from './throughput';
import { rankShard } from './rank-shard';
import { broadcastVariables } from '../distributed/tensor-collectives';
import type { World } from '../distributed/world';

export interface TrainerOptions {
  runDir: string;
  log: Logger;
  stdout: { write(s: string): unknown; isTTY?: boolean };
  resume?: LoadedCheckpoint;
  /** Stop (as if interrupted, with a checkpoint) after this many steps in this session. Used by tests. */
  stopAfterSteps?: number;
  /** Called after every optimiser step (tests use it to watch tensor counts). */
  onStepEnd?: (step: number) => void;
  /** The ranks of a data-parallel run; absent: one process. */
  world?: World;
  /**
   * Read the steps' figures only when a hook needs them (TrainingHook.syncAt) and at the end,
   * rather than after every step: for backends that queue work on a device, where a read
   * waits for the queue to drain. run.ts sets it from the backend.
   */
  deferFigureReads?: boolean;
}

/** A step applied by the optimizer whose figures are not read yet. */
interface PendingStep {
  out: TrainStepOutcome;
  lr: number;
  /** Host figures added by afterUpdate hooks. */
  metrics: Record<string, number>;
}

export interface TrainResult {
  status: Exclude<RunStatus, 'RUNNING'>;
  step: number;
  lossCurve: number[];
  /** Metrics of the last evaluation. */
  evalMetrics: Record<string, number>;
  error?: Error;
}

/**
 * The training loop: pure steps (trainStep: data → views → encoders → objectives → AdamW at
 * the scheduled learning rate) and, around them, the run's hooks (core/engine/hooks: NaN
 * guard, EMA, progress, metrics file, tracker, evaluation, checkpoints, signals).
 */
export class Trainer {
  private readonly trainState: TrainState;
  private readonly checkpoints: TrainingCheckpoints;
  private readonly hooks: HookList;
  private state: TrainingState = { step: 0, rng: {}, data: { epoch: 0, offset: 0 }, lossCurve: [] };
  /** Steps applied whose figures are not read yet (several only with deferFigureReads). */
  private readonly pending: PendingStep[] = [];

  constructor(
    private readonly exp: Experiment,
    private readonly opts: TrainerOptions,
  ) {
    const params = trainableParams(exp);
    const o = exp.spec.optimizer;
    const optimizer = new AdamW(params, { betas: o.betas, eps: o.eps, weightDecay: o.weightDecay });
    const augmentRng = Rng.derive(exp.spec.seed, 'augment');
    this.trainState = { exp, params, encoderParams: exp.model.encoderVariables(), optimizer, augmentRng, world: opts.world };
    this.checkpoints = new TrainingCheckpoints(opts.runDir, [...params, ...emaParams(exp)], optimizer, augmentRng, exp.spec);
    if (opts.resume) this.state = this.checkpoints.restore(opts.resume);
    // Every rank starts from rank 0's weights (the same seed makes them equal; this makes sure).
    if (opts.world) broadcastVariables(opts.world, [...params, ...emaParams(exp)].map((p) => p.variable));
    this.hooks = new HookList(trainingHooks(exp, { ...opts, checkpoints: this.checkpoints }), opts.log);
  }

  private async openLoader(): Promise<DataLoader> {
    const { spec } = this.exp;
    const shard = await rankShard(this.exp, this.opts.world);
    return new DataLoader(this.exp.dataset, {
      batchSize: shard?.batchSize ?? spec.train.batchSize / spec.train.accumulate,
      shard,
      loadSize: loadSizeFor(spec.data),
      workers: spec.data.workers,
      prefetchBatches: spec.data.prefetchBatches,
      seed: spec.seed,
      shuffle: true,
      repeat: true,
      maxFailureFraction: spec.data.maxFailureFraction,
      start: this.state.data,
      log: this.opts.log,
    });
  }

  async run(): Promise<TrainResult> {
    const { spec } = this.exp;
    const total = spec.train.steps;
    const loader = await this.openLoader();
    const ctx = new RunContext(this.state, total);
    const nextBatch = async (): Promise<Batch> => {
      const batch = await loader.next();
      if (!batch) throw new TrainingError(`step ${ctx.step + this.pending.length}: the training data ran out`);
      return batch;
    };
    // Measured once here, so every hook reports the same img/s.
    const throughput = new Throughput(spec.train.logEvery);
    let end: { status: RunEnd; error?: Error };
    try {
      await this.hooks.beforeRun(ctx);
      throughput.restart();
      let status: RunEnd = 'FINISHED';
      while (this.state.step + this.pending.length < total) {
        const index = this.state.step + this.pending.length;
        const lr = learningRate(index, total, spec.optimizer.lr, spec.schedule);
        const out = await trainStep(this.trainState, { step: index, totalSteps: total }, nextBatch, lr);
        const metrics: Record<string, number> = {};
        this.pending.push({ out, lr, metrics });
        this.hooks.afterUpdate(ctx, { index, metrics });
        const done = index + 1;
        if (!this.opts.deferFigureReads || done === total || this.hooks.syncAt(ctx, done)) {
          await this.readPending(ctx, throughput);
          if (ctx.stopRequested && !ctx.isLastStep) {
            status = 'KILLED';
            break;
          }
        }
      }
      end = await this.hooks.afterRun(ctx, status);
      if (end.status === 'KILLED') this.opts.log.warn(`stopped at step ${this.state.step}/${total}; continue with: slipkit resume ${this.opts.runDir}`);
    } catch (err) {
      // Steps taken before the failure are recorded (unless one of them is what failed).
      if (this.pending.length) await this.readPending(ctx, throughput).catch(() => disposeStepFigures(this.pending.splice(0).map((p) => p.out.figures)));
      end = await this.hooks.afterRun(ctx, 'FAILED', err as Error);
    } finally {
      await loader.close();
      if (loader.failureReport().failed) this.opts.log.warn(loader.failureSummary());
    }
    return { ...end, step: this.state.step, lossCurve: this.state.lossCurve, evalMetrics: ctx.evalMetrics };
  }

  /**
   * Reads the figures of every pending step with one device read, then, step by step in order,
   * checks it (the NaN guard), counts it and runs the hooks' afterStep.
   */
  private async readPending(ctx: RunContext, throughput: Throughput): Promise<void> {
    const steps = this.pending.splice(0);
    const figures = await readStepFigures(steps.map((p) => p.out.figures));
    const { slots } = this.exp;
    const total = this.exp.spec.train.steps;
    for (let i = 0; i < steps.length; i++) {
      const { out, lr } = steps[i];
      const f = figures[i];
      // The step's own figures, then those the afterUpdate hooks added (`<label>/momentum`).
      const metrics = { ...f.metrics, ...steps[i].metrics };
      const report: StepReport = { loss: f.total, losses: Object.fromEntries(slots.map((s, j) => [s.label, f.losses[j]])), metrics, lr, images: out.images, imagesPerSecond: throughput.record(this.state.step + 1, total, out.images) };
      this.hooks.checkStep(ctx, report);
      this.state.step += 1;
      this.state.lossCurve.push(f.total);
      this.state.data = out.position;
      await this.hooks.afterStep(ctx, report);
    }
  }

  dispose(): void {
    this.trainState.optimizer.dispose();
  }
}

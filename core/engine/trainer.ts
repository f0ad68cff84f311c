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
import { trainStep, type TrainState } from './train-step';
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
    const { spec, slots } = this.exp;
    const total = spec.train.steps;
    const loader = await this.openLoader();
    const ctx = new RunContext(this.state, total);
    const nextBatch = async (): Promise<Batch> => {
      const batch = await loader.next();
      if (!batch) throw new TrainingError(`step ${ctx.step}: the training data ran out`);
      return batch;
    };
    // Measured once here, so every hook reports the same img/s.
    const throughput = new Throughput(spec.train.logEvery);
    let end: { status: RunEnd; error?: Error };
    try {
      await this.hooks.beforeRun(ctx);
      throughput.restart();
      let status: RunEnd = 'FINISHED';
      while (this.state.step < total) {
        const lr = learningRate(this.state.step, total, spec.optimizer.lr, spec.schedule);
        const out = await trainStep(this.trainState, { step: this.state.step, totalSteps: total }, nextBatch, lr);
        const report: StepReport = { loss: out.total, losses: Object.fromEntries(slots.map((s, i) => [s.label, out.losses[i]])), metrics: out.metrics, lr, images: out.images, imagesPerSecond: throughput.record(this.state.step + 1, total, out.images) };
        this.hooks.checkStep(ctx, report);
        this.state.step += 1;
        this.state.lossCurve.push(out.total);
        this.state.data = out.position;
        await this.hooks.afterStep(ctx, report);
        if (ctx.stopRequested && !ctx.isLastStep) {
          status = 'KILLED';
          break;
        }
      }
      end = await this.hooks.afterRun(ctx, status);
      if (end.status === 'KILLED') this.opts.log.warn(`stopped at step ${this.state.step}/${total}; continue with: slipkit resume ${this.opts.runDir}`);
    } catch (err) {
      end = await this.hooks.afterRun(ctx, 'FAILED', err as Error);
    } finally {
      await loader.close();
      if (loader.failureReport().failed) this.opts.log.warn(loader.failureSummary());
    }
    return { ...end, step: this.state.step, lossCurve: this.state.lossCurve, evalMetrics: ctx.evalMetrics };
  }

  dispose(): void {
    this.trainState.optimizer.dispose();
  }
}

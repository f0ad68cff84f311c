import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointStore, type LoadedCheckpoint, type TrainingState } from '../checkpoint/store';
import { exportTensors, exportWeights, importWeights, toTensors } from '../checkpoint/weights';
import type { MomentumPair } from '../contracts/objective';
import type { RunStatus } from '../contracts/tracker';
import { DataLoader, loadSizeFor } from '../data/loader';
import { TrainingError } from '../errors';
import type { Logger } from '../logger';
import { Rng } from '../random';
import { momentumPairsOf, updateMomentum } from './ema';
import { emaParams, trainableParams, type Experiment } from './experiment';
import { evaluateAll } from './evaluate';
import { clipGlobalNorm } from './grad-clip';
import { AdamW } from './optim/adamw';
import { disposeStepBatch, prepareStepBatch } from './prepare-batch';
import { Progress } from './progress';
import { learningRate } from './schedule';
import { gradCacheStep, plainStep, type StepOutcome } from './step';

export interface TrainerOptions {
  runDir: string;
  log: Logger;
  stdout: { write(s: string): unknown; isTTY?: boolean };
  resume?: LoadedCheckpoint;
  /** Stop (as if interrupted, with a checkpoint) after this many steps in this session. Used by tests. */
  stopAfterSteps?: number;
  /** Called after every optimiser step (tests use it to watch tensor counts). */
  onStepEnd?: (step: number) => void;
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
 * The training loop: data → views → encoders → objectives (weighted sum) → AdamW, with
 * warmup+cosine learning rate, accumulation, clipping, EMA updates, periodic evaluation,
 * atomic checkpoints, tracking, NaN detection and clean stops on SIGINT/SIGTERM.
 */
export class Trainer {
  private readonly params;
  private readonly ema;
  private readonly optimizer: AdamW;
  private readonly store: CheckpointStore;
  private readonly augmentRng: Rng;
  private readonly momentumPairs: MomentumPair[][];
  /** The encoders' parameters, split once for GradCache's chunked backward pass. */
  private readonly encoderParams;
  private state: TrainingState;
  private stopSignal?: NodeJS.Signals;

  constructor(
    private readonly exp: Experiment,
    private readonly opts: TrainerOptions,
  ) {
    this.params = trainableParams(exp);
    this.ema = emaParams(exp);
    const o = exp.spec.optimizer;
    this.optimizer = new AdamW(this.params, { betas: o.betas, eps: o.eps, weightDecay: o.weightDecay });
    this.store = new CheckpointStore(opts.runDir);
    this.augmentRng = Rng.derive(exp.spec.seed, 'augment');
    this.momentumPairs = exp.slots.map((s) => momentumPairsOf(s, exp.model.image));
    this.encoderParams = exp.model.encoderVariables();
    this.state = { step: 0, rng: {}, data: { epoch: 0, offset: 0 }, lossCurve: [] };
    if (opts.resume) this.restore(opts.resume);
  }

  private restore(ckpt: LoadedCheckpoint): void {
    importWeights([...this.params, ...this.ema], ckpt.weights, `checkpoint ${ckpt.dir}`);
    const slots = toTensors(ckpt.optimizer);
    this.optimizer.loadState(ckpt.state.step, slots);
    tf.dispose([...slots.values()]);
    if (ckpt.state.rng.augment) this.augmentRng.setState(ckpt.state.rng.augment);
    this.state = structuredClone(ckpt.state);
  }

  private checkpoint(best: boolean): void {
    this.state.rng.augment = this.augmentRng.state();
    const optimizerState = this.optimizer.stateTensors();
    const optimizer = exportTensors(optimizerState);
    tf.dispose([...optimizerState.values()]);
    const dir = this.store.save(
      { weights: exportWeights([...this.params, ...this.ema]), optimizer, state: this.state, spec: this.exp.spec },
      best ? ['last', 'best'] : ['last'],
    );
    this.opts.log.debug(`checkpoint ${dir}`);
  }

  private onSignal = (signal: NodeJS.Signals): void => {
    if (this.stopSignal) return;
    this.stopSignal = signal;
    this.opts.log.warn(`${signal} received: finishing the current step, writing a checkpoint and stopping`);
  };

  /** One optimiser step over `accumulate` micro-batches. Throws TrainingError on a non-finite loss. */
  private async step(loader: DataLoader, lr: number): Promise<StepOutcome & { images: number }> {
    const { spec } = this.exp;
    const micro = spec.train.accumulate;
    let acc: StepOutcome | undefined;
    let images = 0;
    for (let k = 0; k < micro; k++) {
      const batch = await loader.next();
      if (!batch) throw new TrainingError(`step ${this.state.step}: the training data ran out`);
      const stepBatch = prepareStepBatch(this.exp, batch, this.augmentRng);
      batch.images.dispose();
      let out: StepOutcome;
      try {
        const ctx = { model: this.exp.model, slots: this.exp.slots, params: this.params, step: this.state.step, totalSteps: spec.train.steps };
        out = spec.train.gradCache ? gradCacheStep(ctx, stepBatch, spec.train.gradCache.chunkSize, this.encoderParams) : plainStep(ctx, stepBatch);
      } finally {
        disposeStepBatch(stepBatch);
      }
      this.state.data = batch.position;
      images += batch.keys.length;
      out.losses.forEach((value, i) => {
        if (!Number.isFinite(value)) {
          tf.dispose([...out.grads.values(), ...(acc ? acc.grads.values() : [])]);
          throw new TrainingError(`step ${this.state.step}: the loss of objective "${this.exp.slots[i].label}" is ${value}; stopping (the last good checkpoint is kept)`);
        }
      });
      if (!acc) acc = out;
      else {
        for (const [name, g] of out.grads) {
          const prev = acc.grads.get(name);
          acc.grads.set(name, prev ? tf.add(prev, g) : g);
          if (prev) {
            prev.dispose();
            g.dispose();
          }
        }
        acc.total += out.total;
        acc.losses = acc.losses.map((l, i) => l + out.losses[i]);
        for (const [m, v] of Object.entries(out.metrics)) acc.metrics[m] = (acc.metrics[m] ?? 0) + v;
      }
    }
    const result = acc!;
    if (micro > 1) {
      for (const [name, g] of result.grads) {
        result.grads.set(name, tf.div(g, micro));
        g.dispose();
      }
      result.total /= micro;
      result.losses = result.losses.map((l) => l / micro);
      for (const m of Object.keys(result.metrics)) result.metrics[m] /= micro;
    }
    if (spec.optimizer.clipGradNorm) result.metrics.grad_norm = clipGlobalNorm(result.grads, spec.optimizer.clipGradNorm);
    this.optimizer.apply(result.grads, lr);
    tf.dispose([...result.grads.values()]);
    this.exp.slots.forEach((slot, i) => {
      const m = updateMomentum(slot, this.momentumPairs[i], this.state.step, spec.train.steps);
      if (slot.objective.momentum) result.metrics[`${slot.label}/momentum`] = m;
      slot.objective.afterStep?.();
    });
    return { ...result, images };
  }

  private async evaluate(progress: Progress): Promise<Record<string, number>> {
    const metrics = await evaluateAll(this.exp, this.state.step, this.opts.log);
    if (Object.keys(metrics).length) {
      progress.note(`eval @ step ${this.state.step}: ${Object.entries(metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`);
      this.exp.tracker?.logMetrics(metrics, this.state.step);
    }
    return metrics;
  }

  /** Whether `metrics` improve on the best so far (higher is better), updating the record. */
  private improvesBest(metrics: Record<string, number>): boolean {
    const key = this.exp.spec.train.bestMetric;
    if (!key || metrics[key] === undefined) return false;
    if (this.state.best && this.state.best.value >= metrics[key]) return false;
    this.state.best = { metric: key, value: metrics[key], step: this.state.step };
    return true;
  }

  async run(): Promise<TrainResult> {
    const { spec } = this.exp;
    const log = this.opts.log;
    const total = spec.train.steps;
    const loader = new DataLoader(this.exp.dataset, {
      batchSize: spec.train.batchSize / spec.train.accumulate,
      loadSize: loadSizeFor(spec.data),
      workers: spec.data.workers,
      prefetchBatches: spec.data.prefetchBatches,
      seed: spec.seed,
      shuffle: true,
      repeat: true,
      maxFailureFraction: spec.data.maxFailureFraction,
      start: this.state.data,
      log,
    });
    const progress = new Progress(this.opts.stdout, spec.train.logEvery);
    const metricsFile = path.join(this.opts.runDir, 'metrics.jsonl');
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    let evalMetrics: Record<string, number> = {};
    let evaluatedAt = -1;
    const started = this.state.step;
    progress.start(total, started);
    let windowStart = performance.now();
    let windowImages = 0;
    const runStart = performance.now();
    try {
      while (this.state.step < total) {
        const lr = learningRate(this.state.step, total, spec.optimizer.lr, spec.schedule);
        const out = await this.step(loader, lr);
        this.state.step += 1;
        this.state.lossCurve.push(out.total);
        this.opts.onStepEnd?.(this.state.step);
        windowImages += out.images;
        const now = performance.now();
        const imagesPerSecond = (windowImages * 1000) / Math.max(1, now - windowStart);
        const perStepS = (now - runStart) / 1000 / (this.state.step - started);
        const losses = Object.fromEntries(this.exp.slots.map((s, i) => [s.label, out.losses[i]]));
        progress.update({ step: this.state.step, totalSteps: total, loss: out.total, losses, lr, imagesPerSecond, etaSeconds: perStepS * (total - this.state.step) });
        const row: Record<string, number> = { loss: out.total, lr, ...Object.fromEntries(Object.entries(losses).map(([k, v]) => [`${k}/loss`, v])), ...out.metrics };
        fs.appendFileSync(metricsFile, JSON.stringify({ step: this.state.step, ...row }) + '\n');
        if (this.state.step % spec.train.logEvery === 0 || this.state.step === total) {
          this.exp.tracker?.logMetrics({ ...row, 'img_per_s': imagesPerSecond }, this.state.step);
          windowStart = now;
          windowImages = 0;
        }
        const last = this.state.step === total;
        let best = false;
        if (spec.train.evalEvery && this.state.step % spec.train.evalEvery === 0 && !last) {
          evalMetrics = await this.evaluate(progress);
          evaluatedAt = this.state.step;
          best = this.improvesBest(evalMetrics);
        }
        const stopping = this.stopSignal !== undefined || (this.opts.stopAfterSteps !== undefined && this.state.step - started >= this.opts.stopAfterSteps);
        if (best || stopping || (spec.train.checkpointEvery && this.state.step % spec.train.checkpointEvery === 0 && !last)) this.checkpoint(best);
        if (stopping && !last) {
          progress.stop();
          log.warn(`stopped at step ${this.state.step}/${total}; continue with: slipkit resume ${this.opts.runDir}`);
          return { status: 'KILLED', step: this.state.step, lossCurve: this.state.lossCurve, evalMetrics };
        }
      }
      progress.stop();
      if (evaluatedAt !== this.state.step) evalMetrics = await this.evaluate(progress);
      this.checkpoint(this.improvesBest(evalMetrics));
      return { status: 'FINISHED', step: this.state.step, lossCurve: this.state.lossCurve, evalMetrics };
    } catch (err) {
      progress.stop();
      return { status: 'FAILED', step: this.state.step, lossCurve: this.state.lossCurve, evalMetrics, error: err as Error };
    } finally {
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
      await loader.close();
      if (loader.failureReport().failed) log.warn(loader.failureSummary());
    }
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../contracts/trainable';
import type { Batch, LoaderPosition } from '../data/loader';
import type { World } from '../distributed/world';
import type { Rng } from '../random';
import type { Experiment } from './experiment';
import { clipGlobalNorm } from './grad-clip';
import type { AdamW } from './optim/adamw';
import { disposeStepBatch, prepareStepBatch } from './prepare-batch';
import { gradCacheStep, plainStep, type StepOutcome } from './step';
import { reduceOverWorld } from './world-step';

/** What a training step reads and updates: the experiment's parts, its optimizer and its augmentation stream. */
export interface TrainState {
  exp: Pick<Experiment, 'spec' | 'model' | 'slots' | 'views'>;
  params: readonly NamedVariable[];
  /** The encoders' parameters, split once for GradCache's chunked backward pass. */
  encoderParams: { image: NamedVariable[]; text: NamedVariable[] };
  optimizer: AdamW;
  augmentRng: Rng;
  /** The ranks of a data-parallel run (each steps on its share of the batch); absent in a single process. */
  world?: World;
}

/** One step's figures, averaged over its micro-batches. */
export interface TrainStepOutcome extends Omit<StepOutcome, 'grads'> {
  /** Images the step consumed (all micro-batches). */
  images: number;
  /** The loader's position after the step's last micro-batch. */
  position: LoaderPosition;
}

/** Adds a micro-batch's gradients and figures into the running sums (both maps' tensors are consumed). */
function accumulate(acc: StepOutcome, out: StepOutcome): void {
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

/** Divides the sums of `micro` micro-batches into means. */
function average(acc: StepOutcome, micro: number): void {
  for (const [name, g] of acc.grads) {
    acc.grads.set(name, tf.div(g, micro));
    g.dispose();
  }
  acc.total /= micro;
  acc.losses = acc.losses.map((l) => l / micro);
  for (const m of Object.keys(acc.metrics)) acc.metrics[m] /= micro;
}

/**
 * One optimiser step at index `at.step`: `train.accumulate` micro-batches, each augmented
 * and differentiated (plainStep, or gradCacheStep when `train.gradCache` is set), their
 * gradients and figures averaged, clipped to `optimizer.clipGradNorm`, and applied by the
 * optimizer at `lr`. Micro-batches are pulled one at a time from `nextBatch`, so only one
 * raw micro-batch is held at once. No files, cadence or policy: a non-finite loss is
 * reported in the outcome, and judged by the NaN guard hook.
 */
export async function trainStep(s: TrainState, at: { step: number; totalSteps: number }, nextBatch: () => Promise<Batch>, lr: number): Promise<TrainStepOutcome> {
  const { spec } = s.exp;
  const micro = spec.train.accumulate;
  const ctx = { model: s.exp.model, slots: s.exp.slots, params: s.params, step: at.step, totalSteps: at.totalSteps, world: s.world };
  let acc: StepOutcome | undefined;
  let images = 0;
  let position: LoaderPosition | undefined;
  for (let k = 0; k < micro; k++) {
    const batch = await nextBatch();
    const stepBatch = prepareStepBatch(s.exp, batch, s.augmentRng);
    batch.images.dispose();
    let out: StepOutcome;
    try {
      out = await (spec.train.gradCache ? gradCacheStep(ctx, stepBatch, spec.train.gradCache.chunkSize, s.encoderParams) : plainStep(ctx, stepBatch));
    } finally {
      disposeStepBatch(stepBatch);
    }
    position = batch.position;
    images += batch.keys.length;
    if (acc) accumulate(acc, out);
    else acc = out;
  }
  let result = acc!;
  if (micro > 1) average(result, micro);
  if (s.world && s.world.size > 1) {
    result = reduceOverWorld(s.world, result);
    images *= s.world.size;
  }
  if (spec.optimizer.clipGradNorm) result.metrics.grad_norm = await clipGlobalNorm(result.grads, spec.optimizer.clipGradNorm);
  s.optimizer.apply(result.grads, lr);
  tf.dispose([...result.grads.values()]);
  return { total: result.total, losses: result.losses, metrics: result.metrics, images, position: position! };
}

import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../contracts/trainable';
import type { Batch, LoaderPosition } from '../data/loader';
import type { World } from '../distributed/world';
import type { Rng } from '../random';
import type { Experiment } from './experiment';
import { clipGlobalNorm } from './grad-clip';
import type { AdamW } from './optim/adamw';
import { disposeStepBatch, prepareStepBatch } from './prepare-batch';
import { gradCacheStepOnDevice, plainStepOnDevice } from './step';
import { DeviceFigures, readFigures, type StepFigures } from './step-figures';
import { reduceFiguresOverWorld, reduceGradientsOverWorld } from './world-step';

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

/** One step: its figures (means over its micro-batches), unread on the device where possible. */
export interface TrainStepOutcome {
  /** Read them with readStepFigures (the training loop reads several steps at once, when a hook needs them). */
  figures: StepFigures;
  /** Images the step consumed (all micro-batches). */
  images: number;
  /** The loader's position after the step's last micro-batch. */
  position: LoaderPosition;
}

/** Adds a micro-batch's gradients into the running sums (both maps' tensors are consumed). */
function accumulate(acc: Map<string, tf.Tensor>, grads: Map<string, tf.Tensor>): void {
  for (const [name, g] of grads) {
    const prev = acc.get(name);
    acc.set(name, prev ? tf.add(prev, g) : g);
    if (prev) {
      prev.dispose();
      g.dispose();
    }
  }
}

/** Divides the sums of `micro` micro-batches into means. */
function average(grads: Map<string, tf.Tensor>, micro: number): void {
  for (const [name, g] of grads) {
    grads.set(name, tf.div(g, micro));
    g.dispose();
  }
}

/**
 * One optimiser step at index `at.step`: `train.accumulate` micro-batches, each augmented
 * and differentiated (plainStep, or gradCacheStep when `train.gradCache` is set), their
 * gradients averaged, clipped to `optimizer.clipGradNorm`, and applied by the optimizer at
 * `lr`. Micro-batches are pulled one at a time from `nextBatch`, so only one raw micro-batch
 * is held at once. Nothing is read back from the device in a single process: the figures
 * (losses, metrics, gradient norm) stay there until the loop reads them. No files, cadence
 * or policy: a non-finite loss is reported in the figures, and judged by the NaN guard hook.
 */
export async function trainStep(s: TrainState, at: { step: number; totalSteps: number }, nextBatch: () => Promise<Batch>, lr: number): Promise<TrainStepOutcome> {
  const { spec } = s.exp;
  const micro = spec.train.accumulate;
  const ctx = { model: s.exp.model, slots: s.exp.slots, params: s.params, step: at.step, totalSteps: at.totalSteps, world: s.world };
  let grads: Map<string, tf.Tensor> | undefined;
  const device = new DeviceFigures();
  let images = 0;
  let position: LoaderPosition | undefined;
  try {
    for (let k = 0; k < micro; k++) {
      const batch = await nextBatch();
      const stepBatch = prepareStepBatch(s.exp, batch, s.augmentRng);
      batch.images.dispose();
      let out;
      try {
        out = spec.train.gradCache ? gradCacheStepOnDevice(ctx, stepBatch, spec.train.gradCache.chunkSize, s.encoderParams) : plainStepOnDevice(ctx, stepBatch);
      } finally {
        disposeStepBatch(stepBatch);
      }
      device.absorb(out.figures);
      position = batch.position;
      images += batch.keys.length;
      if (grads) accumulate(grads, out.grads);
      else grads = out.grads;
    }
  } catch (err) {
    device.dispose();
    if (grads) tf.dispose([...grads.values()]);
    throw err;
  }
  if (micro > 1) average(grads!, micro);
  let figures: StepFigures = device;
  if (s.world && s.world.size > 1) {
    // The ranks average their figures too (rank 0 logs the global batch's), so they are read here.
    grads = reduceGradientsOverWorld(s.world, grads!);
    figures = reduceFiguresOverWorld(s.world, (await readFigures([device]))[0]);
    images *= s.world.size;
  }
  if (spec.optimizer.clipGradNorm) {
    const norm = clipGlobalNorm(grads!, spec.optimizer.clipGradNorm);
    if (figures instanceof DeviceFigures) figures.addStepScalar('grad_norm', norm);
    else {
      figures.metrics.grad_norm = (await norm.data())[0];
      norm.dispose();
    }
  }
  s.optimizer.apply(grads!, lr);
  tf.dispose([...grads!.values()]);
  return { figures, images, position: position! };
}

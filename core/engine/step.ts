import * as tf from '@tensorflow/tfjs';
import type { PatchMask } from '../contracts/encoders';
import type { ViewTokens } from '../contracts/objective';
import type { NamedVariable } from '../contracts/trainable';
import { TrainingError } from '../errors';
import type { World } from '../distributed/world';
import { encodeViews } from './encode-views';
import { computeOnWorld, globalSources } from './global-batch';
import type { DualEncoderModel } from './model';
import { DeviceFigures, readFigures, type Figures } from './step-figures';
import { Memo, objectiveInputs, type FeatureSources, type ObjectiveSlot } from './step-inputs';

/** Everything one (micro-)batch contributes to a step, prepared outside the gradient tape. */
export interface StepBatch {
  /** Augmented, normalised images per view instance ("ssl#0"). */
  views: ReadonlyMap<string, tf.Tensor4D>;
  /** The patch mask of each view instance whose view asks for one (FLIP), seeded per step. */
  masks?: ReadonlyMap<string, PatchMask>;
  /** Tokenised captions, when some objective reads text. */
  text?: { ids: tf.Tensor2D; eot: tf.Tensor1D };
  /** EMA-encoder features per `${slotIndex}:${instance}`, computed without a tape. */
  momentum: ReadonlyMap<string, tf.Tensor2D>;
}

/** A (micro-)batch's gradients, and its figures still on the device. */
export interface DeviceStepOutcome {
  /** Gradient per parameter name (caller disposes). */
  grads: Map<string, tf.Tensor>;
  /** The weighted total, each objective's loss and the objectives' metrics, unread (caller reads or disposes). */
  figures: DeviceFigures;
}

/** A (micro-)batch's gradients and its figures, read. */
export interface StepOutcome extends Figures {
  /** Gradient per parameter name (caller disposes). */
  grads: Map<string, tf.Tensor>;
}

interface Context {
  model: DualEncoderModel;
  slots: readonly ObjectiveSlot[];
  params: readonly NamedVariable[];
  step: number;
  totalSteps: number;
  /** The ranks this step is one part of; absent or of size 1 in a single process. */
  world?: World;
}

/** Runs every objective on shared feature sources and returns the weighted total (inside a tape). */
function totalLoss(ctx: Context, src: FeatureSources, keepLosses: tf.Scalar[], keepMetrics: Map<string, tf.Scalar>): tf.Scalar {
  let total: tf.Scalar | undefined;
  let global: FeatureSources | undefined;
  const globalSrc = (): FeatureSources => (global ??= globalSources(src, ctx.world!));
  ctx.slots.forEach((slot, i) => {
    const out = computeOnWorld(ctx.world, slot.objective, src, globalSrc, (s) => slot.objective.compute(objectiveInputs(slot, i, s, ctx.step, ctx.totalSteps)));
    keepLosses.push(tf.keep(out.loss));
    for (const [name, value] of Object.entries(out.metrics)) keepMetrics.set(`${slot.label}/${name}`, tf.keep(value));
    const weighted: tf.Scalar = slot.weight === 1 ? out.loss : tf.mul(out.loss, slot.weight);
    total = total ? (tf.add(total, weighted) as tf.Scalar) : weighted;
  });
  return total!;
}

/** The kept scalars of one (micro-)batch as unread device figures. */
function deviceFigures(total: tf.Scalar, losses: tf.Scalar[], metrics: Map<string, tf.Scalar>): DeviceFigures {
  const figures = new DeviceFigures();
  figures.addMicroBatch(total, losses, metrics);
  return figures;
}

/**
 * Reads a step's figures with one asynchronous device read. Never a synchronous read:
 * tfjs-backend-webgpu cannot read synchronously in Node (it reaches for OffscreenCanvas), and
 * on any GPU a synchronous read stalls the queue.
 */
export async function readOutcome(out: DeviceStepOutcome): Promise<StepOutcome> {
  const [figures] = await readFigures([out.figures]);
  return { grads: out.grads, ...figures };
}

function unmaskedViews(batch: StepBatch): Map<string, tf.Tensor4D> {
  return new Map([...batch.views].filter(([key]) => !batch.masks?.has(key)));
}

function viewImages(batch: StepBatch, key: string): tf.Tensor4D {
  const images = batch.views.get(key);
  if (!images) throw new Error(`no view "${key}" in this step's batch`);
  return images;
}

function momentumSource(batch: StepBatch): FeatureSources['momentumFeatures'] {
  return (slotIndex, instance) => {
    const t = batch.momentum.get(`${slotIndex}:${instance}`);
    if (!t) throw new Error(`no momentum features for objective ${slotIndex}, view ${instance} (does it declare momentum?)`);
    return t;
  };
}

/** Maps tfjs variable ids back to parameter names. */
function nameGrads(params: readonly NamedVariable[], grads: tf.NamedTensorMap, into = new Map<string, tf.Tensor>()): Map<string, tf.Tensor> {
  for (const p of params) {
    const g = grads[p.variable.name];
    if (!g) continue;
    const prev = into.get(p.name);
    if (prev) {
      into.set(p.name, tf.add(prev, g));
      prev.dispose();
      g.dispose();
    } else into.set(p.name, g);
  }
  return into;
}

/** The plain step with its figures read (see plainStepOnDevice). */
export async function plainStep(ctx: Context, batch: StepBatch): Promise<StepOutcome> {
  return readOutcome(plainStepOnDevice(ctx, batch));
}

/** The plain step: one tape over encoders, projections and objectives for the whole batch; nothing read back. */
export function plainStepOnDevice(ctx: Context, batch: StepBatch): DeviceStepOutcome {
  const losses: tf.Scalar[] = [];
  const metrics = new Map<string, tf.Scalar>();
  const { value, grads } = tf.variableGrads(() => {
    // Every unmasked view is encoded, together, when the first objective asks for features.
    let feats: Map<string, tf.Tensor2D> | undefined;
    const embeds = new Memo<tf.Tensor2D>();
    const tokens = new Memo<ViewTokens>();
    const maskedPooled = new Memo<tf.Tensor2D>();
    const src: FeatureSources = {
      features: (key) => {
        // A masked view is encoded alone anyway: one pass with its tokens serves features and tokens
        // (the pooled features are the final-normed class token), so MAE beside CLIP reads it once.
        if (batch.masks?.has(key)) return maskedPooled.get(key, () => tf.reshape(tf.slice(src.tokens(key).tokens, [0, 0, 0], [-1, 1, -1]), [-1, ctx.model.image.featureDim]) as tf.Tensor2D);
        feats ??= encodeViews(ctx.model.image, unmaskedViews(batch), { training: true });
        const f = feats.get(key);
        if (!f) throw new Error(`no view "${key}" in this step's batch`);
        return f;
      },
      imageEmbedding: (key) => embeds.get(key, () => ctx.model.projectImage(src.features(key))),
      tokens: (key) =>
        tokens.get(key, () => {
          const out = ctx.model.image.forward(viewImages(batch, key), { training: true, returnTokens: true, patchMask: batch.masks?.get(key) });
          if (!out.tokens) throw new Error(`the image encoder returned no tokens for view "${key}"`);
          return { tokens: out.tokens, keptPatches: out.keptPatches };
        }),
      images: (key) => viewImages(batch, key),
      textEmbedding: () =>
        embeds.get('text', () => {
          if (!batch.text || !ctx.model.text) throw new Error('an objective reads text but the batch has no captions');
          return ctx.model.projectText(ctx.model.text.forward(batch.text.ids, batch.text.eot, { training: true }));
        }),
      momentumFeatures: momentumSource(batch),
    };
    return totalLoss(ctx, src, losses, metrics);
  }, ctx.params.map((p) => p.variable));
  return { grads: nameGrads(ctx.params, grads), figures: deviceFigures(value, losses, metrics) };
}

function chunks(n: number, size: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let b = 0; b < n; b += size) out.push([b, Math.min(size, n - b)]);
  return out;
}

/**
 * GradCache (Gao et al., 2021): the same gradients as plainStep with memory bounded by the
 * chunk size. 1) encode every view and the captions chunk by chunk without a tape;
 * 2) compute the loss over the whole batch from those cached features, with gradients for
 * projections/heads and for the cached features; 3) re-encode chunk by chunk with a tape and
 * backpropagate the cached feature gradients (∑ features·∂L/∂features) into the encoders.
 */
export async function gradCacheStep(ctx: Context, batch: StepBatch, chunkSize: number, encoderParams: { image: NamedVariable[]; text: NamedVariable[] }): Promise<StepOutcome> {
  return readOutcome(gradCacheStepOnDevice(ctx, batch, chunkSize, encoderParams));
}

/** GradCache's step (see gradCacheStep), nothing read back. */
export function gradCacheStepOnDevice(ctx: Context, batch: StepBatch, chunkSize: number, encoderParams: { image: NamedVariable[]; text: NamedVariable[] }): DeviceStepOutcome {
  const { model } = ctx;
  const batchSize = [...batch.views.values()][0]?.shape[0] ?? batch.text?.ids.shape[0] ?? 0;
  const parts = chunks(batchSize, chunkSize);
  const viewKeys = [...batch.views.keys()];

  // 1) cached features, as variables so the loss phase can differentiate with respect to them
  const cached = new Map<string, tf.Variable>();
  for (const key of viewKeys) {
    const images = batch.views.get(key)!;
    const mask = batch.masks?.get(key);
    const feats = tf.tidy(() => tf.concat(parts.map(([b, n]) => model.image.forward(tf.slice(images, [b, 0, 0, 0], [n, -1, -1, -1]), { training: true, patchMask: mask && { ...mask, firstSample: b } }).pooled)));
    cached.set(key, tf.variable(feats, true));
    feats.dispose();
  }
  const usesText = ctx.slots.some((s) => s.objective.usesText);
  if (usesText && batch.text && model.text) {
    const { ids, eot } = batch.text;
    const feats = tf.tidy(() => tf.concat(parts.map(([b, n]) => model.text!.forward(tf.slice(ids, [b, 0], [n, -1]), tf.slice(eot, [b], [n]), { training: true }))));
    cached.set('text', tf.variable(feats, true));
    feats.dispose();
  }

  // 2) loss over the whole batch: gradients for the non-encoder parameters and the cached features
  const encoderNames = new Set([...encoderParams.image, ...encoderParams.text].map((p) => p.name));
  const headParams = ctx.params.filter((p) => !encoderNames.has(p.name));
  const losses: tf.Scalar[] = [];
  const metrics = new Map<string, tf.Scalar>();
  const featureVars = [...cached.values()];
  const { value, grads } = tf.variableGrads(() => {
    const embeds = new Memo<tf.Tensor2D>();
    const src: FeatureSources = {
      features: (key) => cached.get(key)! as tf.Tensor2D,
      imageEmbedding: (key) => embeds.get(key, () => model.projectImage(cached.get(key)! as tf.Tensor2D)),
      textEmbedding: () => embeds.get('text', () => model.projectText(cached.get('text')! as tf.Tensor2D)),
      tokens: () => {
        throw new TrainingError('an objective reads token sequences (MAE), which GradCache does not cache: leave train.gradCache out');
      },
      images: (key) => viewImages(batch, key),
      momentumFeatures: momentumSource(batch),
    };
    return totalLoss(ctx, src, losses, metrics);
  }, [...headParams.map((p) => p.variable), ...featureVars]);
  const out = nameGrads(headParams, grads);
  const featureGrads = new Map<string, tf.Tensor2D>();
  for (const [key, v] of cached) {
    const g = grads[v.name] as tf.Tensor2D | undefined;
    if (g) featureGrads.set(key, g);
  }

  // 3) re-encode chunk by chunk and push the cached gradients into the encoders
  const encoderVars = [...encoderParams.image, ...encoderParams.text];
  for (const [b, n] of parts) {
    const chunk = tf.variableGrads(() => {
      const terms: tf.Scalar[] = [];
      for (const key of viewKeys) {
        const g = featureGrads.get(key);
        if (!g) continue;
        const mask = batch.masks?.get(key);
        const f = model.image.forward(tf.slice(batch.views.get(key)!, [b, 0, 0, 0], [n, -1, -1, -1]), { training: true, patchMask: mask && { ...mask, firstSample: b } }).pooled;
        terms.push(tf.sum(tf.mul(f, tf.slice(g, [b, 0], [n, -1]))));
      }
      const gt = featureGrads.get('text');
      if (gt && batch.text && model.text) {
        const f = model.text.forward(tf.slice(batch.text.ids, [b, 0], [n, -1]), tf.slice(batch.text.eot, [b], [n]), { training: true });
        terms.push(tf.sum(tf.mul(f, tf.slice(gt, [b, 0], [n, -1]))));
      }
      return tf.addN(terms) as tf.Scalar;
    }, encoderVars.map((p) => p.variable));
    chunk.value.dispose();
    nameGrads(encoderVars, chunk.grads, out);
  }
  tf.dispose([...featureGrads.values()]);
  for (const v of featureVars) v.dispose();
  return { grads: out, figures: deviceFigures(value, losses, metrics) };
}

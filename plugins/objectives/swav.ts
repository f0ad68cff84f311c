import * as tf from '@tensorflow/tfjs';
import {
  definePlugin,
  l2Normalize,
  type Mlp,
  type NamedVariable,
  type Objective,
  type ObjectiveInputs,
  type ObjectiveOutput,
  type PluginContext,
  normalVariable,
  ParamSeeds,
  stopGradient,
} from '../../core/toolkit';
import { swavLoss, type SinkhornOptions } from './losses/swav';
import { HeadBuilder } from './common/heads';
import { requireHead, requireMultiCropViews, requireNonNegative, requirePositive, requirePositiveInteger, type HeadOptions } from './common/options';
import { tidyOutput } from './common/output';
import { headSchema, inputDimSchema, multiCropViewsSchema, temperatureSchema } from './common/schema';

export interface SwavOptions {
  views: string[];
  globalViews: number;
  projector: HeadOptions;
  prototypes: number;
  temperature: number;
  sinkhorn: SinkhornOptions;
  queueSize: number;
  queueStartStep: number;
  freezePrototypesSteps: number;
  inputDim?: number;
}

/**
 * SwAV (Caron et al. 2020, facebookresearch/swav): z_v = normalise(projector(f_v)), prototype
 * scores s_v = z_v·Cᵀ, and the swapped prediction of swavLoss with Sinkhorn codes computed for
 * the first `globalViews` views (main_swav.py's crops_for_assign). As the official code:
 *   - the prototypes C are a Linear without bias whose rows are L2-normalised at the start
 *     and after every step (afterStep);
 *   - they get no gradient during the first `freezePrototypesSteps` steps;
 *   - with `queueSize` > 0, each global view keeps a queue of its past embeddings (newest
 *     first), filled from step `queueStartStep` on, whose scores join the Sinkhorn input once
 *     the queue is full; it is state.
 * The projector is lightly's SwaVProjectionHead (Linear-BN-ReLU-Linear; the official first
 * Linear also has a bias, which the BatchNorm after it cancels).
 */
export class SwavObjective implements Objective {
  readonly views: readonly string[];
  readonly usesText = false;
  /** Sinkhorn-Knopp normalises codes over the whole batch (SwAV's distributed Sinkhorn) and the queue holds past batches: in a data-parallel run it sees every rank's features, so every rank keeps the same queue. */
  readonly needsGlobalBatch = true;
  readonly projector: Mlp;
  /** Prototypes Cᵀ [projector.out, prototypes] (PyTorch's prototypes.weight is [prototypes, out]). */
  readonly prototypes: tf.Variable;
  /** Past embeddings per global view [globalViews, queueSize, out], newest first; absent without a queue. */
  readonly queue?: tf.Variable;
  /** Rows this instance has written into each view's queue (a restored queue may hold more). */
  private rowsWritten = 0;
  private readonly o: SwavOptions;

  constructor(o: SwavOptions, ctx: PluginContext) {
    const p = ctx.path;
    requireMultiCropViews(`${p}.views`, o.views, o.globalViews, `${p}.globalViews`);
    requireHead(`${p}.projector`, o.projector);
    requirePositiveInteger(`${p}.prototypes`, o.prototypes);
    requirePositive(`${p}.temperature`, o.temperature);
    requirePositiveInteger(`${p}.sinkhorn.iterations`, o.sinkhorn.iterations);
    requirePositive(`${p}.sinkhorn.epsilon`, o.sinkhorn.epsilon);
    requireNonNegative(`${p}.queueSize`, o.queueSize);
    requireNonNegative(`${p}.queueStartStep`, o.queueStartStep);
    requireNonNegative(`${p}.freezePrototypesSteps`, o.freezePrototypesSteps);
    this.o = o;
    this.views = [...o.views];
    this.projector = new HeadBuilder(ctx, o.inputDim).head('projector', o.projector, { hiddenBias: false });
    const dim = o.projector.out;
    // Gaussian rows, normalised below: directions uniform on the sphere.
    this.prototypes = normalVariable([dim, o.prototypes], 1, new ParamSeeds(ctx.seed, ctx.path).rng('prototypes.weight'));
    this.normalizePrototypes();
    if (o.queueSize > 0) this.queue = tf.variable(tf.zeros([o.globalViews, o.queueSize, dim]), false);
  }

  variables(): NamedVariable[] {
    return [...this.projector.variables(), { name: 'prototypes.weight', variable: this.prototypes, decay: true, transposeForTorch: true }];
  }

  state(): NamedVariable[] {
    return this.queue ? [{ name: 'queue', variable: this.queue, decay: false }] : [];
  }

  compute(inputs: ObjectiveInputs): ObjectiveOutput {
    const features = this.views.map((_, v) => inputs.features(v));
    const frozen = inputs.step < this.o.freezePrototypesSteps;
    const queueOn = this.queue !== undefined && inputs.step >= this.o.queueStartStep;
    // main_swav.py uses the queue once its last row is filled. The host knows it is full once
    // this instance has written a queue's worth of rows; until then (a fresh queue filling up, or
    // one restored from a checkpoint) the device decides on the last row, computing the loss
    // with and without the queue and selecting one: no read back to the host.
    const knownFull = queueOn && this.rowsWritten >= this.o.queueSize;
    const maybeFull = queueOn && !knownFull;
    const out = tidyOutput(() => {
      const embeddings = features.map((f) => l2Normalize(this.projector.apply(f)));
      const c = (frozen ? stopGradient(this.prototypes) : this.prototypes) as tf.Tensor2D;
      const scores = embeddings.map((z) => tf.matMul(z, c) as tf.Tensor2D);
      const queueScores = () => Array.from({ length: this.o.globalViews }, (_, i) => tf.matMul(tf.squeeze(tf.slice(this.queue!, [i, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D, stopGradient(this.prototypes) as tf.Tensor2D) as tf.Tensor2D);
      let loss: tf.Scalar;
      if (knownFull) loss = swavLoss(scores, this.o.globalViews, this.o.temperature, this.o.sinkhorn, queueScores());
      else if (maybeFull) {
        const full = tf.any(tf.notEqual(tf.slice(this.queue!, [0, this.o.queueSize - 1, 0], [-1, 1, -1]), 0));
        const withQueue = swavLoss(scores, this.o.globalViews, this.o.temperature, this.o.sinkhorn, queueScores());
        loss = tf.where(full, withQueue, swavLoss(scores, this.o.globalViews, this.o.temperature, this.o.sinkhorn));
      } else loss = swavLoss(scores, this.o.globalViews, this.o.temperature, this.o.sinkhorn);
      if (queueOn) this.enqueue(embeddings.slice(0, this.o.globalViews));
      return { loss, metrics: {} };
    });
    if (queueOn) this.rowsWritten += features[0].shape[0];
    return out;
  }

  /** Rows normalised after each optimiser step, as main_swav.py does before each forward pass. */
  afterStep(): void {
    this.normalizePrototypes();
  }

  private normalizePrototypes(): void {
    tf.tidy(() => this.prototypes.assign(tf.div(this.prototypes, tf.sqrt(tf.sum(tf.square(this.prototypes), 0, true)))));
  }

  /** main_swav.py: queue[i, bs:] = queue[i, :-bs]; queue[i, :bs] = embedding of view i (without gradient). */
  private enqueue(embeddings: tf.Tensor2D[]): void {
    const queue = this.queue!;
    const size = this.o.queueSize;
    const batch = embeddings[0].shape[0];
    const fresh = tf.stack(embeddings.map((z) => stopGradient(z))) as tf.Tensor3D;
    const next = batch >= size ? tf.slice(fresh, [0, 0, 0], [-1, size, -1]) : tf.concat([fresh, tf.slice(queue, [0, 0, 0], [-1, size - batch, -1])], 1);
    queue.assign(next);
  }
}

export default definePlugin<'objective', SwavOptions>({
  kind: 'objective',
  name: 'swav',
  description: 'SwAV: swapped prediction of Sinkhorn-Knopp prototype codes across multi-crop views, with an optional queue.',
  schema: {
    type: 'object',
    properties: {
      views: multiCropViewsSchema(['ssl', 'ssl'], 'the global crops first (as many as globalViews), then the local crops'),
      globalViews: { type: 'integer', minimum: 1, default: 2, description: 'How many of the leading views get Sinkhorn codes (SwAV: crops_for_assign [0, 1]).' },
      projector: headSchema({ hidden: [2048], out: 128 }, 'Projection head, Linear-BN-ReLU-Linear, its output L2-normalised (SwAV: hidden [2048], out 128).'),
      prototypes: { type: 'integer', minimum: 1, default: 3000, description: 'Number of prototypes K (SwAV ImageNet: 3000).' },
      temperature: temperatureSchema(0.1, 'Softmax temperature τ of the predictions (SwAV: 0.1).'),
      sinkhorn: {
        type: 'object',
        description: 'Sinkhorn-Knopp iterations and ε (SwAV: 3 and 0.05).',
        properties: {
          iterations: { type: 'integer', minimum: 1, default: 3, description: 'Normalisation rounds.' },
          epsilon: { type: 'number', exclusiveMinimum: 0, default: 0.05, description: 'Entropy regularisation ε: codes are exp(scores/ε) before normalising.' },
        },
        additionalProperties: false,
        default: {},
      },
      queueSize: { type: 'integer', minimum: 0, default: 0, description: 'Past embeddings kept per global view for the Sinkhorn codes, used once full (0: no queue; SwAV: 3840 for small batches).' },
      queueStartStep: { type: 'integer', minimum: 0, default: 0, description: 'Step from which the queue is filled (SwAV: epoch 15).' },
      freezePrototypesSteps: { type: 'integer', minimum: 0, default: 313, description: 'Steps during which the prototypes get no gradient (SwAV: 313 iterations).' },
      inputDim: inputDimSchema,
    },
    additionalProperties: false,
  },
  create: (options, ctx) => new SwavObjective(options, ctx),
});

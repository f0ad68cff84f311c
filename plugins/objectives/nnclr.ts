import * as tf from '@tensorflow/tfjs';
import {
  definePlugin,
  type Mlp,
  type NamedVariable,
  type Objective,
  type ObjectiveInputs,
  type ObjectiveOutput,
  ParamSeeds,
  type PluginContext,
} from '../../core/toolkit';
import { nearestNeighbours, nnclrInfoNce } from './losses/nearest-neighbour';
import { HeadBuilder } from './common/heads';
import { requireHead, requirePositive, requirePositiveInteger, requireViews, requireWidths, type HeadOptions, type PredictorOptions } from './common/options';
import { tidyOutput } from './common/output';
import { RingQueue } from './common/ring-queue';
import { headSchema, inputDimSchema, predictorSchema, temperatureSchema, viewsSchema } from './common/schema';

export interface NnclrOptions {
  views: string[];
  temperature: number;
  projector: HeadOptions;
  predictor: PredictorOptions;
  queueSize: number;
  inputDim?: number;
}

/**
 * NNCLR (Dwibedi et al. 2021, "With a Little Help from My Friends"): z_v = projector(f_v),
 * p_v = predictor(z_v), and each view's nearest neighbour in a support set Q of past
 * projections stands in for it as the positive:
 *   loss = ½·(nnclrInfoNce(NN(z_1, Q), p_2) + nnclrInfoNce(NN(z_2, Q), p_1))
 * The support set is a ring queue (lightly's NNMemoryBankModule); after both look-ups it takes
 * the second view's projections, as lightly's NNCLR example does. It is state (checkpointed).
 * Heads as lightly's (the paper's): projector 3 × Linear-BN (ReLU between), predictor
 * Linear-BN-ReLU-Linear.
 */
export class NnclrObjective implements Objective {
  readonly views: readonly string[];
  readonly usesText = false;
  /** Contrastive over the batch, and its support set is filled from the batch (NNCLR gathers it): in a data-parallel run it sees every rank's features, so every rank keeps the same queue. */
  readonly needsGlobalBatch = true;
  readonly projector: Mlp;
  readonly predictor: Mlp;
  readonly queue: RingQueue;
  readonly temperature: number;

  constructor(o: NnclrOptions, ctx: PluginContext) {
    const p = ctx.path;
    requireViews(`${p}.views`, o.views, 2);
    requirePositive(`${p}.temperature`, o.temperature);
    requireHead(`${p}.projector`, o.projector);
    requireWidths(`${p}.predictor.hidden`, o.predictor.hidden);
    requirePositiveInteger(`${p}.queueSize`, o.queueSize);
    this.views = [...o.views];
    this.temperature = o.temperature;
    const heads = new HeadBuilder(ctx, o.inputDim).projectorAndPredictor(o, {
      projector: { hiddenBias: false, outputBias: false, outputNorm: 'batch-norm' },
      predictor: { hiddenBias: false },
    });
    this.projector = heads.projector;
    this.predictor = heads.predictor;
    this.queue = new RingQueue(o.queueSize, o.projector.out, new ParamSeeds(ctx.seed, ctx.path).rng('queue'));
  }

  variables(): NamedVariable[] {
    return [...this.projector.variables(), ...this.predictor.variables()];
  }

  state(): NamedVariable[] {
    return this.queue.state('queue');
  }

  compute(inputs: ObjectiveInputs): ObjectiveOutput {
    const [f1, f2] = [inputs.features(0), inputs.features(1)];
    return tidyOutput(() => {
      const [z1, z2] = [this.projector.apply(f1), this.projector.apply(f2)];
      const [p1, p2] = [this.predictor.apply(z1), this.predictor.apply(z2)];
      const support = this.queue.rows as tf.Tensor2D;
      const [nn1, nn2] = [nearestNeighbours(z1, support), nearestNeighbours(z2, support)];
      const loss = tf.mul(tf.add(nnclrInfoNce(nn1, p2, this.temperature), nnclrInfoNce(nn2, p1, this.temperature)), 0.5) as tf.Scalar;
      this.queue.enqueue(z2);
      return { loss, metrics: {} };
    });
  }
}

export default definePlugin<'objective', NnclrOptions>({
  kind: 'objective',
  name: 'nnclr',
  description: 'NNCLR: contrastive learning with nearest neighbours from a support-set queue as positives.',
  schema: {
    type: 'object',
    properties: {
      views: viewsSchema(['ssl', 'ssl'], 'the two augmented views'),
      temperature: temperatureSchema(0.1, 'Softmax temperature τ (NNCLR: 0.1).'),
      projector: headSchema({ hidden: [2048, 2048], out: 256 }, 'Projector, 3 Linear-BN layers with ReLU between (NNCLR: hidden [2048, 2048], out 256).'),
      predictor: predictorSchema({ hidden: [4096] }, 'Predictor, Linear-BN-ReLU-Linear (NNCLR: hidden [4096]).'),
      queueSize: { type: 'integer', minimum: 1, default: 98304, description: 'Rows of the support set of past projections (NNCLR: 98304).' },
      inputDim: inputDimSchema,
    },
    additionalProperties: false,
  },
  create: (options, ctx) => new NnclrObjective(options, ctx),
});

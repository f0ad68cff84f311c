import * as tf from '@tensorflow/tfjs';
import { definePlugin, type ObjectiveOutput, type PluginContext } from '../../core/toolkit';
import { diagonalTop1Percent } from './losses/diagonal';
import { mocoInfoNceLoss } from './losses/info-nce';
import { MomentumTargetObjective, type MomentumTargetBranches, type MomentumTargetOptions } from './common/momentum-target';
import { requirePositive, requireViews } from './common/options';
import { headSchema, inputDimSchema, momentumSchema, predictorSchema, temperatureSchema, viewsSchema } from './common/schema';

export interface Mocov3Options extends MomentumTargetOptions {
  temperature: number;
}

/**
 * MoCo v3 (Chen, Xie & He, 2021; facebookresearch/moco-v3, moco/builder.py):
 *   q_i = predictor(projector(f_i)),  k_i = targetProjector(momentumFeatures_i)
 *   loss = ctr(q_1, k_2) + ctr(q_2, k_1),  ctr = InfoNCE over the batch × 2τ
 * The sum of both directions and the 2τ factor are the official code's. Heads follow its
 * _build_mlp: Linears without bias, BatchNorm + ReLU between them, and a BatchNorm without
 * γ/β after the projector's last Linear. The momentum encoder is the engine's EMA copy of
 * the image encoder; the target projector is this objective's EMA copy of the projector
 * (momentumPairs), the predictor exists on the online branch only.
 * Metric `ssl_acc`: top-1 of each query among the batch's keys, in percent, both directions averaged.
 */
export class Mocov3Objective extends MomentumTargetObjective {
  readonly temperature: number;
  /** Contrastive over the batch: in a data-parallel run it sees every rank's features. */
  readonly needsGlobalBatch = true;

  constructor(o: Mocov3Options, ctx: PluginContext) {
    requireViews(`${ctx.path}.views`, o.views, 2);
    requirePositive(`${ctx.path}.temperature`, o.temperature);
    const noBias = { hiddenBias: false, outputBias: false };
    super(o, ctx, { projector: { ...noBias, outputNorm: 'batch-norm-no-affine' }, predictor: noBias });
    this.temperature = o.temperature;
  }

  protected loss({ predictions: [q1, q2], targets: [k1, k2] }: MomentumTargetBranches): ObjectiveOutput {
    const a = mocoInfoNceLoss(q1, k2, this.temperature);
    const b = mocoInfoNceLoss(q2, k1, this.temperature);
    const accuracy = tf.div(tf.add(diagonalTop1Percent(a.logits), diagonalTop1Percent(b.logits)), 2) as tf.Scalar;
    return { loss: tf.add(a.loss, b.loss) as tf.Scalar, metrics: { ssl_acc: accuracy } };
  }
}

export default definePlugin<'objective', Mocov3Options>({
  kind: 'objective',
  name: 'mocov3',
  description: 'MoCo v3: a predictor on the online branch, an EMA momentum encoder and projector, symmetric InfoNCE.',
  schema: {
    type: 'object',
    properties: {
      views: viewsSchema(['ssl', 'ssl'], 'the two augmented views'),
      temperature: temperatureSchema(
        0.2,
        'Softmax temperature τ (MoCo v3 ViT: 0.2). Each InfoNCE term is multiplied by 2τ as in the official code.',
      ),
      projector: headSchema({ hidden: [4096, 4096], out: 256 }, 'Projector on top of the encoder, online and EMA target (MoCo v3 ViT: hidden [4096, 4096], out 256).'),
      predictor: predictorSchema({ hidden: [4096] }, 'Predictor on the online branch (MoCo v3 ViT: hidden [4096]).'),
      momentum: momentumSchema({ start: 0.99, end: 1 }),
      inputDim: inputDimSchema,
    },
    additionalProperties: false,
  },
  create: (options, ctx) => new Mocov3Objective(options, ctx),
});

import * as tf from '@tensorflow/tfjs';
import {
  AdamW,
  buildTrainSplitDatasets,
  checkLabels,
  DEFAULT_MAX_FAILURE_FRACTION,
  type ClassificationOptions,
  classificationProperties,
  type CommonEvaluatorOptions,
  commonEvaluatorProperties,
  DataError,
  DataLoader,
  definePlugin,
  type EvalContext,
  type EvalModel,
  evalReadOptions,
  type Evaluator,
  learningRate,
  limitedDataset,
  Linear,
  type NamedVariable,
  Rng,
  TrainingError,
  type TrainSplitDatasets,
  type TrainSplitOptions,
  trainSplitProperties,
} from '../../core/toolkit';
import { scoreClassifier } from './maths/score-classifier';
import { WeightSnapshot } from './common/weight-snapshot';

export interface FinetuneOptions extends CommonEvaluatorOptions, TrainSplitOptions, ClassificationOptions {
  steps: number;
  trainBatchSize: number;
  /** Peak learning rate (linear warmup from 0, cosine to 0). */
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
}

/** Std of the new head's truncated-normal initialisation: small, so training starts near uniform predictions. */
const HEAD_INIT_STD = 0.01;
/** Training loss is reported as the mean over this many final steps. */
const LOSS_WINDOW = 10;
const PREFETCH_BATCHES = 2;

/**
 * End-to-end finetuning: the model's image encoder plus a new linear head, trained with
 * AdamW (cosine schedule) on labelled images, then scored on the test set. The encoder's
 * weights are snapshotted first and restored afterwards, even on error, so evaluation
 * never changes the model being trained. Images go through model.imageFeatures (the
 * evaluation view, encoder in inference mode: no dropout or drop-path), with gradients
 * flowing into the encoder's variables.
 */
export class FinetuneEvaluator implements Evaluator {
  constructor(
    private readonly options: FinetuneOptions,
    private readonly datasets: TrainSplitDatasets,
  ) {}

  private numClasses(): number {
    const n = this.options.numClasses ?? this.datasets.trainDataset.classNames?.length;
    if (!n) throw new DataError('finetune: the training dataset has no class names; set numClasses');
    return n;
  }

  async evaluate(model: EvalModel, ctx: EvalContext): Promise<Record<string, number>> {
    const numClasses = this.numClasses();
    const encoder = model.trainableImageEncoder;
    const encoderParams = encoder.variables();
    const head = new Linear(encoder.featureDim, numClasses, Rng.derive(ctx.seed, 'finetune.head'), { init: { std: HEAD_INIT_STD } });
    const headParams = head.variables('finetune_head');
    const params: NamedVariable[] = [...encoderParams, ...headParams];
    const optimizer = new AdamW(params, { betas: this.options.betas, eps: this.options.eps, weightDecay: this.options.weightDecay });
    const snapshot = new WeightSnapshot(encoderParams);
    const logits = (images: tf.Tensor4D) => head.apply(model.imageFeatures(images));
    try {
      const trainLoss = await this.train(logits, params, optimizer, numClasses, model.imageSize, ctx);
      const read = evalReadOptions(this.options, model.imageSize, this.options.limit, ctx);
      const metrics = await scoreClassifier(this.datasets.dataset, read, { ...this.options, numClasses }, logits);
      return { ...metrics, train_loss: trainLoss };
    } finally {
      snapshot.restoreAndDispose();
      optimizer.dispose();
      tf.dispose(headParams.map((p) => p.variable));
    }
  }

  /** Runs the optimisation; returns the mean loss of the last steps. */
  private async train(
    logits: (images: tf.Tensor4D) => tf.Tensor2D,
    params: readonly NamedVariable[],
    optimizer: AdamW,
    numClasses: number,
    imageSize: number,
    ctx: EvalContext,
  ): Promise<number> {
    const { steps, lr, warmupSteps } = this.options;
    const loader = new DataLoader(limitedDataset(this.datasets.trainDataset, this.options.trainLimit), {
      batchSize: this.options.trainBatchSize,
      loadSize: imageSize,
      workers: this.options.workers,
      prefetchBatches: PREFETCH_BATCHES,
      seed: ctx.seed,
      shuffle: true,
      repeat: true,
      dropLast: true,
      maxFailureFraction: ctx.maxFailureFraction ?? DEFAULT_MAX_FAILURE_FRACTION,
      log: ctx.log,
    });
    const variables = params.map((p) => p.variable);
    const nameOf = new Map(params.map((p) => [p.variable.name, p.name]));
    /** One AdamW step on a batch; returns its loss. */
    const trainStep = async (images: tf.Tensor4D, labels: Int32Array, stepLr: number): Promise<number> => {
      const { value, grads } = tf.variableGrads(() => {
        const targets = tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses);
        return tf.losses.softmaxCrossEntropy(targets, logits(images)) as tf.Scalar;
      }, variables);
      try {
        // Non-trainable variables come back with a null gradient: they are left as they are.
        const present = Object.entries(grads).filter((entry): entry is [string, tf.Tensor] => entry[1] !== null);
        // tidy: AdamW creates its moment variables lazily from zerosLike tensors it does not free.
        tf.tidy(() => optimizer.apply(new Map(present.map(([id, g]) => [nameOf.get(id)!, g])), stepLr));
        // Asynchronous: a GPU backend (webgpu in Node) cannot read synchronously.
        return (await value.data())[0];
      } finally {
        tf.dispose([value, ...Object.values(grads).filter((g): g is tf.Tensor => g !== null)]);
      }
    };
    const recentLosses: number[] = [];
    try {
      for (let step = 0; step < steps; step++) {
        const batch = await loader.next();
        if (!batch) throw new DataError('finetune: the training dataset yielded no full batch (is trainBatchSize larger than the dataset?)');
        let loss: number;
        try {
          checkLabels(batch.labels, numClasses, 'finetune trainDataset');
          const stepLr = learningRate(step, steps, lr, { type: 'cosine', warmupSteps, startLr: 0, endLr: 0 });
          loss = await trainStep(batch.images, batch.labels, stepLr);
        } finally {
          batch.images.dispose();
        }
        if (!Number.isFinite(loss)) throw new TrainingError(`finetune: loss is ${loss} at step ${step}`);
        recentLosses.push(loss);
        if (recentLosses.length > LOSS_WINDOW) recentLosses.shift();
        if ((step + 1) % 50 === 0 || step + 1 === steps) ctx.log.debug(`finetune step ${step + 1}/${steps}: loss ${loss.toFixed(4)}`);
      }
    } finally {
      await loader.close();
    }
    return recentLosses.reduce((a, b) => a + b, 0) / Math.max(1, recentLosses.length);
  }
}

export default definePlugin<'evaluator', FinetuneOptions>({
  kind: 'evaluator',
  name: 'finetune',
  description: 'Finetunes the image encoder plus a linear head end to end (AdamW, cosine schedule), reports test top<k>; the encoder is restored afterwards.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['dataset', 'trainDataset'],
    properties: {
      ...commonEvaluatorProperties('Labelled dataset the finetuned classifier is scored on.'),
      ...trainSplitProperties('Labelled dataset to finetune on (shuffled, repeated as needed).'),
      steps: { type: 'integer', minimum: 1, default: 200, description: 'Optimiser steps.' },
      trainBatchSize: { type: 'integer', minimum: 1, default: 64, description: 'Images per training step.' },
      lr: { type: 'number', exclusiveMinimum: 0, default: 3e-4, description: 'Peak learning rate: linear warmup from 0, then cosine to 0.' },
      warmupSteps: { type: 'integer', minimum: 0, default: 10, description: 'Linear warmup steps.' },
      weightDecay: { type: 'number', minimum: 0, default: 0.05, description: 'Decoupled weight decay (not on biases or norms).' },
      betas: {
        type: 'array',
        items: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
        minItems: 2,
        maxItems: 2,
        default: [0.9, 0.999],
      },
      eps: { type: 'number', exclusiveMinimum: 0, default: 1e-8 },
      ...classificationProperties(),
    },
  },
  create: (options, ctx) => new FinetuneEvaluator(options, buildTrainSplitDatasets(options, ctx)),
});

import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../core/contracts/dataset';
import type { EvalContext, EvalModel, Evaluator } from '../../core/contracts/evaluator';
import { SpecError } from '../../core/errors';
import { ClassificationTally } from '../../core/eval/classification-tally';
import { evalReadOptions, forEachBatch } from '../../core/eval/dataset-batches';
import {
  checkLabels,
  collectFeatures,
  featureSourceProperty,
  imageFeatureFn,
  resolveNumClasses,
  type FeatureSource,
} from '../../core/eval/features';
import { knnClassScores } from '../../core/eval/knn';
import { l2NormalizeRows } from '../../core/eval/normalize';
import {
  classificationProperties,
  commonEvaluatorProperties,
  trainSplitProperties,
  type ClassificationOptions,
  type CommonEvaluatorOptions,
  type TrainSplitOptions,
} from '../../core/eval/options';
import { definePlugin } from '../../core/plugins/define';

export interface KnnOptions extends CommonEvaluatorOptions, TrainSplitOptions, ClassificationOptions {
  /** Neighbours that vote. */
  k: number;
  /** Votes weigh exp(cosine similarity / temperature). */
  temperature: number;
  features: FeatureSource;
}

/**
 * Weighted kNN classification (InstDisc / DINO protocol): the training set's L2-normalised
 * features are the memory; each test image takes the k most cosine-similar memory rows,
 * each voting for its label with weight exp(sim / T).
 */
export class KnnEvaluator implements Evaluator {
  constructor(
    private readonly options: KnnOptions,
    private readonly dataset: Dataset,
    private readonly trainDataset: Dataset,
    private readonly path: string,
  ) {
    if (!(options.temperature > 0)) throw SpecError.at(`${path}.temperature`, `must be > 0 (got ${options.temperature})`);
  }

  async evaluate(model: EvalModel, ctx: EvalContext): Promise<Record<string, number>> {
    const featureFn = imageFeatureFn(model, this.options.features, this.path);
    const embed = (images: tf.Tensor4D) => l2NormalizeRows(featureFn(images));
    const memory = await collectFeatures(
      this.trainDataset,
      embed,
      evalReadOptions(this.options, model.imageSize, this.options.trainLimit, ctx.log),
    );
    const memoryLabels = tf.tensor1d(memory.labels, 'int32');
    try {
      const numClasses = resolveNumClasses(this.options.numClasses, this.trainDataset, memory.labels);
      checkLabels(memory.labels, numClasses, `${this.path}.trainDataset`);
      ctx.log.debug(`kNN memory: ${memory.labels.length} x ${memory.features.shape[1]}, ${numClasses} classes`);
      const tally = new ClassificationTally(numClasses, this.options.topK, this.options.meanPerClass);
      const knn = { k: this.options.k, temperature: this.options.temperature, numClasses };
      await forEachBatch(this.dataset, evalReadOptions(this.options, model.imageSize, this.options.limit, ctx.log), (batch) => {
        const scores = tf.tidy(() => knnClassScores(memory.features, memoryLabels, embed(batch.images), knn));
        try {
          tally.add(scores, batch.labels);
        } finally {
          scores.dispose();
        }
      });
      return tally.metrics();
    } finally {
      tf.dispose([memory.features, memoryLabels]);
    }
  }
}

export default definePlugin<'evaluator', KnnOptions>({
  kind: 'evaluator',
  name: 'knn',
  description: 'Weighted k-nearest-neighbour classification on frozen features (k=20, exp(sim/0.07) votes); reports top<k>.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['dataset', 'trainDataset'],
    properties: {
      ...commonEvaluatorProperties('Labelled dataset to classify (the queries).'),
      ...trainSplitProperties('Labelled dataset whose features form the neighbour memory.'),
      k: { type: 'integer', minimum: 1, default: 20, description: 'Neighbours that vote.' },
      temperature: { type: 'number', exclusiveMinimum: 0, default: 0.07, description: 'Votes weigh exp(cosine similarity / temperature).' },
      features: featureSourceProperty('encoder'),
      ...classificationProperties(),
    },
  },
  create: (options, ctx) =>
    new KnnEvaluator(
      options,
      ctx.build('dataset', options.dataset, `${ctx.path}.dataset`),
      ctx.build('dataset', options.trainDataset, `${ctx.path}.trainDataset`),
      ctx.path,
    ),
});

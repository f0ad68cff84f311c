import * as tf from '@tensorflow/tfjs';
import {
  buildTrainSplitDatasets,
  checkLabels,
  type ClassificationOptions,
  classificationProperties,
  collectFeatures,
  type CommonEvaluatorOptions,
  commonEvaluatorProperties,
  definePlugin,
  type EvalContext,
  type EvalModel,
  evalReadOptions,
  type Evaluator,
  type FeatureSource,
  featureSourceProperty,
  imageFeatureFn,
  l2Normalize,
  resolveNumClasses,
  SpecError,
  type TrainSplitDatasets,
  type TrainSplitOptions,
  trainSplitProperties,
} from '../../core/toolkit';
import { knnClassScores } from './maths/knn';
import { scoreClassifier } from './maths/score-classifier';

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
    private readonly datasets: TrainSplitDatasets,
    private readonly path: string,
  ) {
    if (!(options.temperature > 0)) throw SpecError.at(`${path}.temperature`, `must be > 0 (got ${options.temperature})`);
  }

  async evaluate(model: EvalModel, ctx: EvalContext): Promise<Record<string, number>> {
    const featureFn = imageFeatureFn(model, this.options.features, this.path);
    const embed = (images: tf.Tensor4D) => l2Normalize(featureFn(images));
    const memory = await collectFeatures(
      this.datasets.trainDataset,
      embed,
      evalReadOptions(this.options, model.imageSize, this.options.trainLimit, ctx),
    );
    const memoryLabels = tf.tensor1d(memory.labels, 'int32');
    try {
      const numClasses = resolveNumClasses(this.options.numClasses, this.datasets.trainDataset, memory.labels);
      checkLabels(memory.labels, numClasses, `${this.path}.trainDataset`);
      ctx.log.debug(`kNN memory: ${memory.labels.length} x ${memory.features.shape[1]}, ${numClasses} classes`);
      const knn = { k: this.options.k, temperature: this.options.temperature, numClasses };
      const read = evalReadOptions(this.options, model.imageSize, this.options.limit, ctx);
      return await scoreClassifier(this.datasets.dataset, read, { ...this.options, numClasses }, (images) =>
        knnClassScores(memory.features, memoryLabels, embed(images), knn),
      );
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
  create: (options, ctx) => new KnnEvaluator(options, buildTrainSplitDatasets(options, ctx), ctx.path),
});

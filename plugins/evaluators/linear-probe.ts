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
  type FeatureSet,
  type FeatureSource,
  featureSourceProperty,
  imageFeatureFn,
  resolveNumClasses,
  type TrainSplitDatasets,
  type TrainSplitOptions,
  trainSplitProperties,
} from '../../core/toolkit';
import { linearProbe } from './maths/linear-probe';

export interface LinearProbeEvaluatorOptions extends CommonEvaluatorOptions, TrainSplitOptions, ClassificationOptions {
  features: FeatureSource;
  /** L2 strengths λ tried (loss: mean cross-entropy + λ/2·‖W‖²). */
  weightDecays: number[];
  validationFraction: number;
  maxIterations: number;
  gradientTolerance: number;
}

/**
 * Linear probe: frozen features of the training and test sets, standardised; a softmax
 * logistic regression fitted by full-batch L-BFGS for each λ of the sweep on a held-out
 * part of the training set; the best λ refitted on the whole training set and scored on
 * the test set. Also reports the chosen λ (`weight_decay`) and its validation top-1.
 */
export class LinearProbeEvaluator implements Evaluator {
  constructor(
    private readonly options: LinearProbeEvaluatorOptions,
    private readonly datasets: TrainSplitDatasets,
    private readonly path: string,
  ) {}

  async evaluate(model: EvalModel, ctx: EvalContext): Promise<Record<string, number>> {
    const featureFn = imageFeatureFn(model, this.options.features, this.path);
    const sets: FeatureSet[] = [];
    try {
      const train = await collectFeatures(this.datasets.trainDataset, featureFn, evalReadOptions(this.options, model.imageSize, this.options.trainLimit, ctx));
      sets.push(train);
      const test = await collectFeatures(this.datasets.dataset, featureFn, evalReadOptions(this.options, model.imageSize, this.options.limit, ctx));
      sets.push(test);
      const numClasses = resolveNumClasses(this.options.numClasses, this.datasets.trainDataset, train.labels, test.labels);
      checkLabels(train.labels, numClasses, `${this.path}.trainDataset`);
      checkLabels(test.labels, numClasses, `${this.path}.dataset`);
      ctx.log.debug(`linear probe on ${train.labels.length} x ${train.features.shape[1]} features, ${numClasses} classes`);
      const result = await linearProbe(train, test, {
        numClasses,
        weightDecays: this.options.weightDecays,
        validationFraction: this.options.validationFraction,
        maxIterations: this.options.maxIterations,
        gradientTolerance: this.options.gradientTolerance,
        seed: ctx.seed,
        topK: this.options.topK,
        meanPerClass: this.options.meanPerClass,
        log: ctx.log,
      });
      const out: Record<string, number> = { ...result.metrics, weight_decay: result.weightDecay };
      const validation = result.validationTop1.get(result.weightDecay);
      if (validation !== undefined) out.val_top1 = validation;
      return out;
    } finally {
      tf.dispose(sets.map((s) => s.features));
    }
  }
}

export default definePlugin<'evaluator', LinearProbeEvaluatorOptions>({
  kind: 'evaluator',
  name: 'linear-probe',
  description: 'Logistic regression on frozen, standardised features, L2 strength chosen on a validation split; reports top<k>.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['dataset', 'trainDataset'],
    properties: {
      ...commonEvaluatorProperties('Labelled dataset the probe is scored on.'),
      ...trainSplitProperties('Labelled dataset the probe is fitted on (a validation part is held out of it).'),
      features: featureSourceProperty('encoder'),
      weightDecays: {
        type: 'array',
        items: { type: 'number', minimum: 0 },
        minItems: 1,
        default: [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1],
        description: 'L2 strengths λ swept (loss: mean cross-entropy + λ/2·|W|²; scikit-learn C = 1/(λ·N)). One value skips the sweep.',
      },
      validationFraction: {
        type: 'number',
        exclusiveMinimum: 0,
        exclusiveMaximum: 1,
        default: 0.2,
        description: 'Fraction of the training features held out to choose λ.',
      },
      maxIterations: { type: 'integer', minimum: 1, default: 1000, description: 'L-BFGS iterations per fit.' },
      gradientTolerance: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 1e-6,
        description: 'A fit stops when the largest gradient entry is below this.',
      },
      ...classificationProperties(),
    },
  },
  create: (options, ctx) => new LinearProbeEvaluator(options, buildTrainSplitDatasets(options, ctx), ctx.path),
});

import type { PluginBlock } from '../plugins/define';
import { pluginSlot, type JsonSchema } from '../spec/json-schema';

/** Options every evaluator accepts (see commonEvaluatorProperties). */
export interface CommonEvaluatorOptions {
  /** Metric-name prefix used by the engine; the evaluator type when absent. */
  name?: string;
  /** The dataset scored. */
  dataset: PluginBlock;
  batchSize: number;
  /** Score at most this many samples of `dataset`. */
  limit?: number;
  workers: number;
}

/** Options of evaluators that fit something on a training split first. */
export interface TrainSplitOptions {
  trainDataset: PluginBlock;
  /** Use at most this many training samples. */
  trainLimit?: number;
}

/** Options of evaluators that score a classifier. */
export interface ClassificationOptions {
  /** k values reported as top<k>. */
  topK: number[];
  /** Also report top<k>_mean_per_class. */
  meanPerClass: boolean;
  /** Number of classes when the dataset has no class names. */
  numClasses?: number;
}

export const commonEvaluatorProperties = (what: string): Record<string, JsonSchema> => ({
  name: {
    type: 'string',
    pattern: '^[\\w.\\- ]+$',
    description: 'Prefix of the reported metric names ("<name>/top1"); defaults to the evaluator type.',
  },
  dataset: pluginSlot('dataset', { description: what }),
  batchSize: { type: 'integer', minimum: 1, default: 256, description: 'Images (and texts) embedded per forward pass.' },
  limit: {
    type: 'integer',
    minimum: 1,
    description: 'Score at most this many samples: a fixed subset (seed 0 shuffle of the dataset), the same for every run.',
  },
  workers: { type: 'integer', minimum: 0, default: 1, description: 'Decoding worker threads (0: decode inline).' },
});

export const trainSplitProperties = (what: string): Record<string, JsonSchema> => ({
  trainDataset: pluginSlot('dataset', { description: what }),
  trainLimit: {
    type: 'integer',
    minimum: 1,
    description: 'Use at most this many training samples (a fixed subset, seed 0 shuffle of the dataset).',
  },
});

/** topK and meanPerClass: how a classifier is scored. */
export const topKProperties = (): Record<string, JsonSchema> => ({
  topK: {
    type: 'array',
    items: { type: 'integer', minimum: 1 },
    minItems: 1,
    uniqueItems: true,
    default: [1, 5],
    description: 'Report top-k accuracy for each k, as top<k>.',
  },
  meanPerClass: {
    type: 'boolean',
    default: false,
    description: 'Also report top<k>_mean_per_class: the unweighted mean of the per-class accuracies.',
  },
});

/** Scoring options plus numClasses, for evaluators that learn from labels. */
export const classificationProperties = (): Record<string, JsonSchema> => ({
  ...topKProperties(),
  numClasses: {
    type: 'integer',
    minimum: 1,
    description: 'Number of classes, for datasets without class names (otherwise their count).',
  },
});

import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../contracts/dataset';
import type { EvalModel } from '../contracts/evaluator';
import { DataError, SpecError } from '../errors';
import type { JsonSchema } from '../spec/json-schema';
import { forEachBatch, type EvalReadOptions } from './dataset-batches';

/** Reads [B, D] features for a batch of images (float32 NHWC in [0, 1]). */
export type ImageFeatureFn = (images: tf.Tensor4D) => tf.Tensor2D;

/** One row per sample, in dataset order. */
export interface FeatureSet {
  /** [N, D] */
  features: tf.Tensor2D;
  labels: Int32Array;
  keys: string[];
}

/**
 * Runs `embed` over every image of a dataset (one deterministic pass) and gathers the
 * rows into one tensor. Rows are copied out batch by batch, so only the final [N, D]
 * tensor stays allocated.
 */
export async function collectFeatures(dataset: Dataset, embed: ImageFeatureFn, options: EvalReadOptions): Promise<FeatureSet> {
  const chunks: Float32Array[] = [];
  const labels: number[] = [];
  const keys: string[] = [];
  let dim = -1;
  await forEachBatch(dataset, options, async (batch) => {
    const rows = tf.tidy(() => embed(batch.images));
    dim = rows.shape[1];
    try {
      // Asynchronous: a GPU backend (webgpu in Node) cannot read synchronously.
      chunks.push((await rows.data()) as Float32Array);
    } finally {
      rows.dispose();
    }
    labels.push(...batch.labels);
    keys.push(...batch.keys);
  });
  if (labels.length === 0) throw new DataError('the dataset yielded no samples');
  const flat = new Float32Array(labels.length * dim);
  let offset = 0;
  for (const c of chunks) {
    flat.set(c, offset);
    offset += c.length;
  }
  return { features: tf.tensor2d(flat, [labels.length, dim]), labels: Int32Array.from(labels), keys };
}

/** Class count: the option, else the dataset's class names, else one past the largest label seen. */
export function resolveNumClasses(option: number | undefined, dataset: Dataset, ...labelSets: Int32Array[]): number {
  if (option !== undefined) return option;
  if (dataset.classNames && dataset.classNames.length > 0) return dataset.classNames.length;
  let max = -1;
  for (const labels of labelSets) for (const l of labels) max = Math.max(max, l);
  if (max < 0) throw new DataError('the dataset has no labels (a classification evaluator needs labelled samples)');
  return max + 1;
}

/** Throws a DataError unless every label is a class index in [0, numClasses). */
export function checkLabels(labels: Int32Array, numClasses: number, what: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (!(labels[i] >= 0 && labels[i] < numClasses)) {
      throw new DataError(`${what}: sample ${i} has label ${labels[i]}, outside [0, ${numClasses}) (unlabelled samples cannot be scored)`);
    }
  }
}

/** Which image representation an evaluator reads. */
export type FeatureSource = 'encoder' | 'embedding';

export const featureSourceProperty = (defaultSource: FeatureSource): JsonSchema => ({
  enum: ['encoder', 'embedding'],
  default: defaultSource,
  description: 'encoder: the frozen image encoder output (before any projection); embedding: the joint image-text space.',
});

/** The image representation named by `source`; `embedding` needs a text tower. */
export function imageFeatureFn(model: EvalModel, source: FeatureSource, path: string): ImageFeatureFn {
  if (source === 'encoder') return (images) => model.imageFeatures(images);
  if (!model.hasText) throw SpecError.at(`${path}.features`, '"embedding" needs a model with a text tower (model.text); use "encoder"');
  return (images) => model.imageEmbedding(images);
}

import * as tf from '@tensorflow/tfjs';
import { DataError } from '../../../core/toolkit';

/**
 * Rank of the true class in each row of `scores` [B, C] when the classes are sorted by
 * descending score, ties broken by lower class index first (a stable sort). 0 means the
 * true class scored highest. Breaking ties by index, rather than counting only strictly
 * higher scores, keeps a class with no kNN votes from counting as a top-5 hit when fewer
 * than five classes got votes.
 */
export async function trueClassRanks(scores: tf.Tensor2D, labels: Int32Array): Promise<Int32Array> {
  const [batch, numClasses] = scores.shape;
  if (labels.length !== batch) throw new Error(`trueClassRanks: ${labels.length} labels for ${batch} rows`);
  const ranks = tf.tidy(() => {
    const labelTensor = tf.tensor1d(labels, 'int32');
    const isTrue = tf.oneHot(labelTensor, numClasses);
    const trueScore = tf.sum(tf.mul(scores, isTrue), 1, true);
    const classIndex = tf.range(0, numClasses, 1, 'int32').reshape([1, numClasses]);
    const before = tf.less(classIndex, labelTensor.reshape([batch, 1]));
    const outranks = tf.logicalOr(tf.greater(scores, trueScore), tf.logicalAnd(tf.equal(scores, trueScore), before));
    return tf.sum(tf.cast(outranks, 'int32'), 1);
  });
  try {
    // Asynchronous: a GPU backend (webgpu in Node) cannot read synchronously.
    return Int32Array.from((await ranks.data()) as Int32Array);
  } finally {
    ranks.dispose();
  }
}

/**
 * Accumulates top-k hits over batches of class scores, overall and per class, so that an
 * evaluator never holds all scores at once. Metric names: `top<k>` (fraction of samples
 * whose true class is among the k best) and, when asked, `top<k>_mean_per_class` (the
 * unweighted mean over classes present of the per-class top-k accuracy, as CLIP reports
 * for class-imbalanced datasets).
 */
export class ClassificationTally {
  private readonly hits: number[][];
  private readonly counts: number[];

  constructor(
    readonly numClasses: number,
    readonly ks: readonly number[] = [1, 5],
    readonly meanPerClass = false,
  ) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`ClassificationTally: numClasses must be >= 1 (got ${numClasses})`);
    this.hits = ks.map(() => new Array<number>(numClasses).fill(0));
    this.counts = new Array<number>(numClasses).fill(0);
  }

  get total(): number {
    return this.counts.reduce((a, b) => a + b, 0);
  }

  /** Adds a batch: `scores` [B, numClasses] (higher is better), `labels` the true classes. */
  async add(scores: tf.Tensor2D, labels: Int32Array): Promise<void> {
    if (scores.shape[1] !== this.numClasses) {
      throw new Error(`ClassificationTally: scores have ${scores.shape[1]} classes, expected ${this.numClasses}`);
    }
    this.addRanks(await trueClassRanks(scores, labels), labels);
  }

  /** Adds precomputed ranks (see trueClassRanks). */
  addRanks(ranks: Int32Array, labels: Int32Array): void {
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i];
      if (!(label >= 0 && label < this.numClasses)) {
        throw new DataError(`label ${label} outside [0, ${this.numClasses}) of the class list`);
      }
      this.counts[label]++;
      for (let j = 0; j < this.ks.length; j++) if (ranks[i] < this.ks[j]) this.hits[j][label]++;
    }
  }

  metrics(): Record<string, number> {
    const total = this.total;
    if (total === 0) throw new DataError('no labelled samples were scored');
    const out: Record<string, number> = {};
    this.ks.forEach((k, j) => {
      out[`top${k}`] = this.hits[j].reduce((a, b) => a + b, 0) / total;
      if (this.meanPerClass) {
        let sum = 0;
        let present = 0;
        for (let c = 0; c < this.numClasses; c++) {
          if (this.counts[c] === 0) continue;
          sum += this.hits[j][c] / this.counts[c];
          present++;
        }
        out[`top${k}_mean_per_class`] = sum / present;
      }
    });
    return out;
  }
}

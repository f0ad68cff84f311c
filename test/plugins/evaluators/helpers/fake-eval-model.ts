import * as tf from '@tensorflow/tfjs';
import type { ImageEncoder, ImageEncoderOutput } from '../../../../core/contracts/encoders';
import type { EvalModel } from '../../../../core/contracts/evaluator';
import type { NamedVariable } from '../../../../core/contracts/trainable';
import { Linear } from '../../../../core/nn/linear';
import { Rng } from '../../../../core/random';

/**
 * Image encoder for tests: the first channel's pixels flattened ([B, side²]), optionally
 * through a trainable Linear + ReLU (for finetune).
 */
export class PixelEncoder implements ImageEncoder {
  readonly featureDim: number;
  readonly layer?: Linear;
  private readonly pixels: number;

  constructor(
    readonly imageSize = 28,
    hidden?: number,
    seed = 1,
  ) {
    this.pixels = imageSize * imageSize;
    if (hidden) this.layer = new Linear(this.pixels, hidden, new Rng(seed));
    this.featureDim = hidden ?? this.pixels;
  }

  forward(images: tf.Tensor4D): ImageEncoderOutput {
    return {
      pooled: tf.tidy(() => {
        // The first channel, picked by a [3, 1] matMul with (1, 0, 0): exact, and much faster than a strided slice on the cpu backend.
        const pick = tf.tensor2d([[1], [0], [0]]);
        const grey = tf.matMul(images.reshape([-1, 3]), pick).reshape([-1, this.pixels]) as tf.Tensor2D;
        return this.layer ? this.layer.apply(grey, 'relu') : grey;
      }),
    };
  }

  variables(): NamedVariable[] {
    return this.layer ? this.layer.variables('fc') : [];
  }

  dispose(): void {
    for (const v of this.variables()) v.variable.dispose();
  }
}

export const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Index of the class word that appears first (as a whole word) in a text, or -1. */
export function classNamedIn(text: string, classWords: readonly string[]): number {
  let best = -1;
  let bestAt = Infinity;
  classWords.forEach((w, c) => {
    const literal = w.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const at = text.search(new RegExp(`(?<![\\w-])${literal}(?![\\w])`));
    if (at >= 0 && at < bestAt) {
      best = c;
      bestAt = at;
    }
  });
  return best;
}

/** The fake text tower in plain numbers: one-hot of the class named plus `noise` × a text-seeded vector. */
export function fakeTextVector(text: string, classWords: readonly string[], noise: number): number[] {
  const v = new Array<number>(classWords.length).fill(0);
  const c = classNamedIn(text, classWords);
  if (c >= 0) v[c] = 1;
  if (noise > 0) {
    const rng = Rng.derive(7, text);
    for (let i = 0; i < v.length; i++) v[i] += noise * rng.normal();
  }
  return v;
}

export interface FakeJointSpace {
  /** Class centroids in feature space [C, D]. */
  centroids: number[][];
  /** The word naming each class in texts (default: the digits). */
  classWords?: readonly string[];
  /** Std of the per-text noise added to text embeddings. */
  textNoise?: number;
}

/**
 * An EvalModel whose joint space is "distance to class centroids": images embed as minus
 * the squared distance of their features to each class centroid, texts as the one-hot of
 * the class they name (plus optional per-text noise). Zero-shot with it is therefore a
 * nearest-centroid classifier, which a test can compute independently.
 */
export class FakeEvalModel implements EvalModel {
  readonly hasText = true;
  /** Calls per method, to check batching. */
  readonly calls = { imageFeatures: [] as number[], imageEmbedding: [] as number[], textEmbedding: [] as number[] };
  private readonly centroids?: tf.Tensor2D;
  private readonly classWords: readonly string[];
  private readonly textNoise: number;

  constructor(
    readonly trainableImageEncoder: PixelEncoder,
    joint?: FakeJointSpace,
  ) {
    if (joint) this.centroids = tf.tensor2d(joint.centroids);
    this.classWords = joint?.classWords ?? DIGITS;
    this.textNoise = joint?.textNoise ?? 0;
  }

  get imageSize(): number {
    return this.trainableImageEncoder.imageSize;
  }

  imageFeatures(images: tf.Tensor4D): tf.Tensor2D {
    this.calls.imageFeatures.push(images.shape[0]);
    return this.trainableImageEncoder.forward(images).pooled;
  }

  imageEmbedding(images: tf.Tensor4D): tf.Tensor2D {
    this.calls.imageEmbedding.push(images.shape[0]);
    if (!this.centroids) throw new Error('FakeEvalModel built without centroids');
    const centroids = this.centroids;
    return tf.tidy(() => {
      const x = this.trainableImageEncoder.forward(images).pooled;
      const cross = tf.matMul(x, centroids, false, true);
      const xx = tf.sum(tf.square(x), 1, true);
      const cc = tf.sum(tf.square(centroids), 1).reshape([1, -1]);
      return tf.neg(tf.add(tf.sub(xx, tf.mul(2, cross)), cc)) as tf.Tensor2D;
    });
  }

  textEmbedding(texts: readonly string[]): tf.Tensor2D {
    this.calls.textEmbedding.push(texts.length);
    return tf.tensor2d(texts.map((t) => fakeTextVector(t, this.classWords, this.textNoise)));
  }

  dispose(): void {
    this.centroids?.dispose();
  }
}

/** Mean of each class's pixel vectors (grey bytes, scaled to [0, 1]). */
export function pixelCentroids(pixels: Uint8Array[], labels: number[], numClasses = 10): number[][] {
  const size = pixels[0].length;
  const sums = Array.from({ length: numClasses }, () => new Array<number>(size).fill(0));
  const counts = new Array<number>(numClasses).fill(0);
  pixels.forEach((p, i) => {
    counts[labels[i]]++;
    for (let j = 0; j < size; j++) sums[labels[i]][j] += p[j] / 255;
  });
  return sums.map((s, c) => s.map((v) => v / counts[c]));
}

import * as tf from '@tensorflow/tfjs';
import type { ImageEncoder, ImageEncoderOutput } from '../../../../core/contracts/encoders';
import type { EvalModel } from '../../../../core/contracts/evaluator';
import type { NamedVariable } from '../../../../core/contracts/trainable';
import { Linear } from '../../../../core/nn/linear';
import { Rng } from '../../../../core/random';

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;

/**
 * Image encoder for tests: the first channel's pixels flattened ([B, 784]), optionally
 * through a trainable Linear + ReLU (for finetune).
 */
export class PixelEncoder implements ImageEncoder {
  readonly imageSize = SIDE;
  readonly featureDim: number;
  readonly layer?: Linear;

  constructor(hidden?: number, seed = 1) {
    if (hidden) this.layer = new Linear(PIXELS, hidden, new Rng(seed));
    this.featureDim = hidden ?? PIXELS;
  }

  forward(images: tf.Tensor4D): ImageEncoderOutput {
    return {
      pooled: tf.tidy(() => {
        // The first channel, picked by a [3, 1] matMul with (1, 0, 0): exact, and much faster than a strided slice on the cpu backend.
        const pick = tf.tensor2d([[1], [0], [0]]);
        const grey = tf.matMul(images.reshape([-1, 3]), pick).reshape([-1, PIXELS]) as tf.Tensor2D;
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

/** The standalone digit a text mentions ("a photo of the number: "3"." → 3), or -1. */
export function digitIn(text: string): number {
  const m = /(?<![\w-])(\d)(?!\w)/.exec(text);
  return m ? Number(m[1]) : -1;
}

/** The fake text tower in plain numbers: one-hot of the digit plus `noise` × a text-seeded vector. */
export function fakeTextVector(text: string, noise: number): number[] {
  const v = new Array<number>(10).fill(0);
  const d = digitIn(text);
  if (d >= 0) v[d] = 1;
  if (noise > 0) {
    const rng = Rng.derive(7, text);
    for (let i = 0; i < 10; i++) v[i] += noise * rng.normal();
  }
  return v;
}

/**
 * An EvalModel whose joint space is "distance to digit centroids": images embed as minus
 * the squared distance of their features to each class centroid, texts as the one-hot of
 * the digit they name (plus optional per-text noise). Zero-shot with it is therefore a
 * nearest-centroid classifier, which a test can compute independently.
 */
export class FakeEvalModel implements EvalModel {
  readonly hasText = true;
  readonly imageSize = SIDE;
  /** Calls per method, to check batching. */
  readonly calls = { imageFeatures: [] as number[], imageEmbedding: [] as number[], textEmbedding: [] as number[] };
  private readonly centroids?: tf.Tensor2D;

  constructor(
    readonly trainableImageEncoder: PixelEncoder,
    centroids?: number[][],
    private readonly textNoise = 0,
  ) {
    if (centroids) this.centroids = tf.tensor2d(centroids);
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
    return tf.tensor2d(texts.map((t) => fakeTextVector(t, this.textNoise)));
  }

  dispose(): void {
    this.centroids?.dispose();
  }
}

/** Mean of each class's pixel vectors (values in [0, 1]). */
export function pixelCentroids(pixels: Uint8Array[], labels: number[], numClasses = 10): number[][] {
  const sums = Array.from({ length: numClasses }, () => new Array<number>(PIXELS).fill(0));
  const counts = new Array<number>(numClasses).fill(0);
  pixels.forEach((p, i) => {
    counts[labels[i]]++;
    for (let j = 0; j < PIXELS; j++) sums[labels[i]][j] += p[j] / 255;
  });
  return sums.map((s, c) => s.map((v) => v / counts[c]));
}

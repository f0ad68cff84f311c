import * as tf from '@tensorflow/tfjs';
import type { Augmentation } from '../contracts/augmentation';
import type { EvalModel } from '../contracts/evaluator';
import { Rng } from '../random';
import type { DualEncoderModel } from './model';

/** Texts are embedded in chunks of this many, to bound memory on large prompt sets. */
const TEXT_CHUNK = 256;

/**
 * The trained model as evaluators see it. Images arrive in [0, 1] at the model's size;
 * the evaluation view (the deterministic part of the training view, e.g. normalisation)
 * is applied here so every evaluator preprocesses the same way.
 */
export class TrainedEvalModel implements EvalModel {
  constructor(
    private readonly model: DualEncoderModel,
    private readonly evalView: readonly Augmentation[],
  ) {}

  get imageSize(): number {
    return this.model.image.imageSize;
  }

  get hasText(): boolean {
    return this.model.hasText;
  }

  get trainableImageEncoder() {
    return this.model.image;
  }

  private preprocess(images: tf.Tensor4D): tf.Tensor4D {
    const rng = new Rng(0); // evaluation transforms are deterministic; the generator is never read
    return this.evalView.reduce((x, aug) => aug.apply(x, rng), images);
  }

  imageFeatures(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.model.image.forward(this.preprocess(images), { training: false }).pooled);
  }

  imageEmbedding(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.model.projectImage(this.imageFeatures(images)));
  }

  textEmbedding(texts: readonly string[]): tf.Tensor2D {
    return tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      for (let i = 0; i < texts.length; i += TEXT_CHUNK) {
        parts.push(this.model.projectText(this.model.encodeTexts(texts.slice(i, i + TEXT_CHUNK))));
      }
      return parts.length === 1 ? parts[0] : tf.concat(parts);
    });
  }
}

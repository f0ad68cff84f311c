import * as tf from '@tensorflow/tfjs';
import { fillTemplate, l2Normalize } from '../../../core/toolkit';

/** Texts to joint-space embeddings [N, E] (not necessarily normalised). */
export type TextEmbedder = (texts: readonly string[]) => tf.Tensor2D;

/**
 * The zero-shot classifier of CLIP: for each class, every template filled with the class
 * name is embedded and L2-normalised; the class embedding is their mean, renormalised.
 * Prompts are embedded about `batchSize` at a time (whole classes per batch).
 *
 * @returns [numClasses, E], unit rows
 */
export function zeroShotClassEmbeddings(
  embed: TextEmbedder,
  classNames: readonly string[],
  templates: readonly string[],
  batchSize: number,
): tf.Tensor2D {
  if (templates.length === 0) throw new Error('zeroShotClassEmbeddings: no templates');
  const classesPerBatch = Math.max(1, Math.floor(batchSize / templates.length));
  const parts: tf.Tensor2D[] = [];
  try {
    for (let start = 0; start < classNames.length; start += classesPerBatch) {
      const names = classNames.slice(start, start + classesPerBatch);
      const prompts = names.flatMap((name) => templates.map((t) => fillTemplate(t, name)));
      parts.push(
        tf.tidy(() => {
          const perPrompt = l2Normalize(embed(prompts));
          const perClass = tf.mean(perPrompt.reshape([names.length, templates.length, -1]), 1) as tf.Tensor2D;
          return l2Normalize(perClass);
        }),
      );
    }
    return tf.concat(parts, 0);
  } finally {
    tf.dispose(parts);
  }
}

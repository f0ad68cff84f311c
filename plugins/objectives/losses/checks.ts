import type * as tf from '@tensorflow/tfjs';
import { TrainingError } from '../../../core/toolkit';

/**
 * Argument checks shared by the losses: they are pure functions that a plugin may call
 * with anything, and a wrong shape or a zero temperature would otherwise surface steps
 * later as a NaN or a broadcasting error far from its cause.
 */

/** `x` is an [N, D] batch of embeddings with at least `minRows` rows. */
export function requireEmbeddings(loss: string, name: string, x: tf.Tensor, minRows = 1): asserts x is tf.Tensor2D {
  if (x.rank !== 2) throw new TrainingError(`${loss}: ${name} must be [N, D] embeddings, got shape [${x.shape.join(', ')}]`);
  if (x.shape[0] < minRows) throw new TrainingError(`${loss}: ${name} needs at least ${minRows} rows, got ${x.shape[0]}`);
}

/** Two [N, D] batches of the same shape (row i of one pairs with row i of the other). */
export function requirePaired(loss: string, names: [string, string], a: tf.Tensor, b: tf.Tensor, minRows = 1): void {
  requireEmbeddings(loss, names[0], a, minRows);
  requireEmbeddings(loss, names[1], b, minRows);
  if (a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new TrainingError(`${loss}: ${names[0]} [${a.shape.join(', ')}] and ${names[1]} [${b.shape.join(', ')}] must have the same shape`);
  }
}

/** A finite value > 0 (a temperature, a logit scale). */
export function requirePositive(loss: string, name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new TrainingError(`${loss}: ${name} must be a finite number > 0, got ${value}`);
}

/** A finite value ≥ 0 (a loss coefficient). */
export function requireNonNegative(loss: string, name: string, value: number): void {
  if (!(value >= 0) || !Number.isFinite(value)) throw new TrainingError(`${loss}: ${name} must be a finite number ≥ 0, got ${value}`);
}

import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';

/**
 * Seeded parameter initialisers. Values are drawn from slipkit's own Rng (not tf.random),
 * so the same seed gives the same weights on every backend.
 */
export function normalValues(size: number, std: number, rng: Rng, truncate = false): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let v = rng.normal();
    if (truncate) while (Math.abs(v) > 2) v = rng.normal();
    out[i] = v * std;
  }
  return out;
}

export function uniformValues(size: number, bound: number, rng: Rng): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (rng.next() * 2 - 1) * bound;
  return out;
}

const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** A trainable variable from explicit values. */
export function variableFrom(values: Float32Array, shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true));
}

export function truncNormalVariable(shape: number[], std: number, rng: Rng): tf.Variable {
  return variableFrom(normalValues(sizeOf(shape), std, rng, true), shape);
}

export function normalVariable(shape: number[], std: number, rng: Rng): tf.Variable {
  return variableFrom(normalValues(sizeOf(shape), std, rng), shape);
}

/** Glorot/Xavier uniform for a [fanIn, fanOut] matrix. */
export function xavierUniformVariable(shape: [number, number], rng: Rng): tf.Variable {
  const bound = Math.sqrt(6 / (shape[0] + shape[1]));
  return variableFrom(uniformValues(sizeOf(shape), bound, rng), shape);
}

export function constantVariable(shape: number[], value: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value, 'float32'), true));
}

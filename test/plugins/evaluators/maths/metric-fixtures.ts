import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { fixturePath } from '../../../helpers/paths';

/** Reads a fixture written by test/reference/metrics.py. */
export function readMetricFixture<T>(name: string): T {
  return JSON.parse(fs.readFileSync(fixturePath('metrics', name), 'utf8')) as T;
}

export const matrix = (rows: number[][]): tf.Tensor2D => tf.tensor2d(rows, undefined, 'float32');

/** |actual − expected| ≤ atol + rtol·|expected| for every entry. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const tol = atol + rtol * Math.abs(expected[i]);
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]} (tolerance ${tol})`);
  }
}

/** Same keys, each value within `atol`. */
export function assertMetricsClose(actual: Record<string, number>, expected: Record<string, number>, atol: number): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) assert.ok(Math.abs(actual[k] - v) <= atol, `${k}: ${actual[k]} vs ${v}`);
}

/** logistic-regression.json: a 3-class problem, scikit-learn's fits on it. */
export interface LogisticFixture {
  numClasses: number;
  train: { features: number[][]; labels: number[] };
  test: { features: number[][]; labels: number[] };
  trainer: { l2: number; probabilities: number[][]; predictions: number[]; trainAccuracy: number; testAccuracy: number }[];
  probe: { l2: number; rawTrain: number[][]; rawTest: number[][]; metrics: Record<string, number> };
}

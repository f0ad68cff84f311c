import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import type { NamedVariable } from '../../core/contracts/trainable';
import { fixturePath } from '../helpers/paths';

/** A float32 array as test/reference/*.py writes it: shape + little-endian base64. */
export interface EncodedArray {
  shape: number[];
  f32: string;
}

export function decodeArray(a: EncodedArray): Float32Array {
  const bytes = Buffer.from(a.f32, 'base64');
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

export function readFixture<T>(...parts: string[]): T {
  return JSON.parse(fs.readFileSync(fixturePath(...parts), 'utf8')) as T;
}

/**
 * A PyTorch tensor in slipkit's layout: weights flagged `transposeForTorch` are [in, out]
 * where PyTorch keeps [out, in, …] (a conv kernel [out, C, kh, kw] is first flattened to
 * [out, C·kh·kw], which is how slipkit's patch embedding orders a patch).
 */
export function toSlipkitLayout(a: EncodedArray, transposeForTorch: boolean): tf.Tensor {
  const values = decodeArray(a);
  if (!transposeForTorch) return tf.tensor(values, a.shape, 'float32');
  const rows = a.shape[0];
  return tf.tidy(() => tf.transpose(tf.tensor2d(values, [rows, values.length / rows])));
}

/** Assigns every variable from the fixture's PyTorch-layout parameter of the same name. */
export function loadTorchParams(variables: NamedVariable[], params: Record<string, EncodedArray>): void {
  const names = new Set(variables.map((v) => v.name));
  assert.deepEqual([...names].sort(), Object.keys(params).sort(), 'slipkit and PyTorch parameter names differ');
  for (const v of variables) {
    const value = toSlipkitLayout(params[v.name], v.transposeForTorch === true);
    assert.deepEqual(value.shape, v.variable.shape, `shape of ${v.name}`);
    v.variable.assign(value);
    value.dispose();
  }
}

/** max |actual − expected| */
export function maxAbsDiff(actual: tf.Tensor, expected: Float32Array): number {
  const a = actual.dataSync();
  assert.equal(a.length, expected.length, 'sizes differ');
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - expected[i]));
  return worst;
}

/** ‖actual − expected‖ / ‖expected‖ */
export function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => tf.norm(tf.sub(actual, expected)).dataSync()[0] / tf.norm(expected).dataSync()[0]);
}

/**
 * Gradients of `loss` with respect to the named variables, keyed by name, each compared
 * against the fixture's PyTorch gradient (converted to slipkit's layout).
 */
export function gradientErrors(
  variables: NamedVariable[],
  loss: () => tf.Scalar,
  expected: Record<string, EncodedArray>,
): Record<string, number> {
  const wanted = variables.filter((v) => v.name in expected);
  assert.equal(wanted.length, Object.keys(expected).length, 'a gradient in the fixture names no slipkit variable');
  const { value, grads } = tf.variableGrads(loss, wanted.map((v) => v.variable));
  value.dispose();
  const errors: Record<string, number> = {};
  for (const v of wanted) {
    const reference = toSlipkitLayout(expected[v.name], v.transposeForTorch === true);
    errors[v.name] = relativeError(grads[v.variable.name], reference);
    reference.dispose();
  }
  tf.dispose(grads);
  return errors;
}

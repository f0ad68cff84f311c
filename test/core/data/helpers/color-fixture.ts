import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import { fixturePath } from '../../../helpers/paths';

type Nested = number[][][][];

/** test/fixtures/augmentations/color-ops.json, written by test/reference/augmentations.py (PyTorch). */
export interface ColorFixture {
  images: Nested;
  factors: { brightness: number[]; contrast: number[]; saturation: number[]; hue: number[] };
  grayscale: Nested;
  brightness: Nested;
  contrast: Nested;
  saturation: Nested;
  hue: Nested;
  hsv: Nested;
  hsvRoundTrip: Nested;
  blur: { kernelSize: number; sigmas: number[]; output: Nested };
  solarize: { threshold: number; output: Nested };
}

let cached: ColorFixture | undefined;

export function colorFixture(): ColorFixture {
  cached ??= JSON.parse(fs.readFileSync(fixturePath('augmentations', 'color-ops.json'), 'utf8')) as ColorFixture;
  return cached;
}

export function toTensor(nested: Nested): tf.Tensor4D {
  return tf.tensor4d(nested);
}

/** The images of the fixture batch at `indices`, as their own batch. */
export function fixtureImages(nested: Nested, indices?: number[]): tf.Tensor4D {
  return tf.tensor4d(indices ? indices.map((i) => nested[i]) : nested);
}

/** Largest absolute difference between a tensor and expected values. */
export function maxAbsDiff(actual: tf.Tensor, expected: Nested | number[]): number {
  const a = actual.dataSync();
  const e = (expected as unknown[]).flat(4) as number[];
  if (a.length !== e.length) throw new Error(`size ${a.length} vs expected ${e.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]));
  return worst;
}

import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';

/**
 * Runs `step` `n` times and asserts that tf.memory().numTensors is the same after every
 * step as after the first (the first may allocate lazily-created state such as optimiser slots).
 */
export async function assertFlatTensorCount(n: number, step: (i: number) => void | Promise<void>): Promise<void> {
  await step(0);
  const baseline = tf.memory().numTensors;
  for (let i = 1; i < n; i++) {
    await step(i);
    assert.equal(tf.memory().numTensors, baseline, `tensor count grew at step ${i}: ${tf.memory().numTensors} vs ${baseline}`);
  }
}

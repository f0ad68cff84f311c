import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { fusedKernelNames, runFused } from '../../core/backend/fused';
import { Rng } from '../../core/random';
import { describeOnBackends } from '../helpers/backends';

/*
 * The fused-op kernel registry (core/backend/fused): every op is one kernel name with one
 * registered gradient. Through the tape, each kernel (the native one on `tensorflow`, the
 * reference elsewhere) gives the gradients of tfjs's autodiff of its reference formulation
 * run op by op.
 */

const rng = new Rng(7);
const values = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * scale);

interface Case {
  name: string;
  shapes: number[][];
  attrs?: Record<string, number | boolean>;
  /** Inputs that must be positive (1/σ). */
  positive?: number[];
}

const [N, D] = [9, 70];
const CASES: Case[] = [
  { name: 'SlipkitLayerNorm', shapes: [[N, D]], attrs: { eps: 1e-5 } },
  { name: 'SlipkitLayerNormGrad', shapes: [[N, D], [N, D], [N, 1]], positive: [2] },
  { name: 'SlipkitLayerNormGradAdd', shapes: [[N, D], [N, D], [N, 1], [N, D]], positive: [2] },
  { name: 'SlipkitBiasGelu', shapes: [[N, D], [D]] },
  { name: 'SlipkitBiasGeluWithDerivative', shapes: [[N, D], [D]] },
  { name: 'SlipkitBiasResidual', shapes: [[N, D], [N, D], [D]] },
  { name: 'SlipkitMulColumnSums', shapes: [[N, D], [N, D]] },
  { name: 'SlipkitColumnSums', shapes: [[N, D]] },
  { name: 'SlipkitFoldNorm', shapes: [[D, 12], [12], [D], [D], [12]] },
  { name: 'SlipkitUnfoldNormGrad', shapes: [[D, 12], [12], [D, 12], [D], [D], [12]] },
  { name: 'SlipkitAttention', shapes: [[2 * 5, 3 * 2 * 4], [3 * 2 * 4]], attrs: { heads: 2, tokens: 5, causal: true, scale: 0.4 } },
];

describe('fused kernels: one name each, one registered gradient each', () => {
  it('names every fused op, AdamW included', () => {
    assert.deepEqual(fusedKernelNames().sort(), [...CASES.map((c) => c.name), 'SlipkitAdamW', 'SlipkitAttentionGrad'].sort());
    for (const c of CASES) assert.ok(tf.getGradient(c.name), `${c.name} has no registered gradient`);
  });

  describeOnBackends('registered gradients against autodiff of the reference', () => {
    for (const c of CASES) {
      it(`${c.name}: every input's gradient`, () => {
        tf.tidy(() => {
          const inputs = c.shapes.map((s, i) => {
            const v = values(s.reduce((a, b) => a * b, 1));
            return tf.tensor(c.positive?.includes(i) ? v.map((x) => Math.abs(x) + 0.5) : v, s);
          });
          const outputs = runFused(c.name, inputs, c.attrs);
          const weights = outputs.map((o) => tf.tensor(values(o.size), o.shape));
          const loss = (...xs: tf.Tensor[]) => tf.addN(runFused(c.name, xs, c.attrs).map((o, i) => tf.sum(tf.mul(o, weights[i]!)))) as tf.Scalar;
          const viaKernel = tf.grads(loss)(inputs);
          // The reference's ops, each on the tape (not the kernel, whose registered gradient is under test).
          const reference = runFused.reference(c.name);
          const viaReference = tf.grads((...xs: tf.Tensor[]) => tf.addN(reference(xs, c.attrs ?? {}).map((o, i) => tf.sum(tf.mul(o, weights[i]!)))) as tf.Scalar)(inputs);
          viaKernel.forEach((g, i) => {
            const got = g.dataSync();
            const want = viaReference[i]!.dataSync();
            const scale = Array.from(want).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
            let worst = 0;
            for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(got[k]! - want[k]!));
            assert.ok(scale > 0 && worst <= 1e-4 * scale, `${c.name} input ${i}: max difference ${worst} against largest entry ${scale}`);
          });
        });
      });
    }
  });
});

import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { adamwUpdate, attention, attentionGrad, biasResidual, biasScaledGelu, foldNorm, fusedOpsActive, mulColumnSums, normaliseRows, normaliseRowsBackward, runFused } from '../../core/backend/fused';
import { Rng } from '../../core/random';
import { assertFlatTensorCount } from '../helpers/memory';
import { describeOnWebgpu } from '../helpers/webgpu';

/*
 * slipkit's WGSL kernels (core/backend/wgsl) on real WebGPU (Dawn on lavapipe) against the
 * fused ops' reference formulations run by the cpu backend, values and gradients: the
 * gradients through each kernel's registered gradient on webgpu against tfjs's autodiff of
 * the reference on cpu. Shapes cross the kernels' tiles unevenly: rows of 300 (64-lane
 * workgroups), 18 300 elements (256 per workgroup), 70 columns, 70 tokens, heads of 72.
 */

const rng = new Rng(41);
const values = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * scale);

/** Runs `f` on the cpu backend, then on webgpu, on the same input arrays; returns both outputs as arrays. */
async function onBoth(f: () => tf.Tensor[]): Promise<{ cpu: Float32Array[]; gpu: Float32Array[] }> {
  const read = async (): Promise<Float32Array[]> => {
    const outs = tf.tidy(f);
    const arrays = await Promise.all(outs.map(async (t) => (await t.data()) as Float32Array));
    tf.dispose(outs);
    return arrays;
  };
  await tf.setBackend('cpu');
  const cpu = await read();
  await tf.setBackend('webgpu');
  const gpu = await read();
  return { cpu, gpu };
}

/** Every output within 1e-5 of the reference, relative to the reference's largest entry. */
function assertClose({ cpu, gpu }: { cpu: Float32Array[]; gpu: Float32Array[] }, names: string[]): void {
  assert.equal(gpu.length, cpu.length);
  cpu.forEach((expected, k) => {
    const got = gpu[k]!;
    assert.equal(got.length, expected.length, `${names[k]}: length`);
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      scale = Math.max(scale, Math.abs(expected[i]!));
      worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
    }
    assert.ok(scale > 0, `${names[k]}: all zeros`);
    assert.ok(worst <= 1e-5 * scale, `${names[k]}: max difference ${worst} against largest entry ${scale}`);
  });
}

/** The gradients of Σ out·w (w fixed weights per output) with respect to the inputs. */
function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor[], inputs: tf.Tensor[], weights: tf.Tensor[]): tf.Tensor[] {
  return tf.grads((...xs: tf.Tensor[]) => tf.addN(f(...xs).map((o, i) => tf.sum(tf.mul(o, weights[i]!)))) as tf.Scalar)(inputs);
}

const [ROWS, WIDTH] = [61, 300];
const ATTENTION = [
  { batch: 5, tokens: 13, heads: 3, d: 8, causal: false },
  { batch: 4, tokens: 11, heads: 2, d: 8, causal: true },
  { batch: 2, tokens: 70, heads: 2, d: 72, causal: true },
  { batch: 2, tokens: 70, heads: 1, d: 16, causal: false },
];

describeOnWebgpu('WGSL kernels against the reference formulations', () => {
  const x = values(ROWS * WIDTH);
  const dy = values(ROWS * WIDTH);
  const residual = values(ROWS * WIDTH);
  const bias = values(WIDTH, 0.5);

  it('are the webgpu kernels of the fused ops, each one kernel with no tfjs ops inside', async () => {
    await tf.setBackend('webgpu');
    for (const name of ['SlipkitLayerNorm', 'SlipkitBiasGelu', 'SlipkitBiasResidual', 'SlipkitMulColumnSums', 'SlipkitAttention', 'SlipkitAttentionGrad', 'SlipkitAdamW', 'SlipkitFoldNorm']) {
      assert.ok(fusedOpsActive(name), `${name} has no webgpu kernel`);
    }
    const t = tf.tensor2d(x, [ROWS, WIDTH]);
    const b = tf.tensor1d(bias);
    const profile = await tf.profile(() => tf.tidy(() => [normaliseRows(t, 1e-5).xHat, biasScaledGelu(t, b, true).value, biasResidual(t, t, b), mulColumnSums(t, t).sums]));
    assert.deepEqual(profile.kernelNames.sort(), ['SlipkitBiasGeluWithDerivative', 'SlipkitBiasResidual', 'SlipkitLayerNorm', 'SlipkitMulColumnSums']);
    tf.dispose([t, b]);
  });

  it('SlipkitLayerNorm and SlipkitLayerNormGrad(Add): values, and gradients through both outputs', async () => {
    const t = () => tf.tensor2d(x, [ROWS, WIDTH]);
    assertClose(await onBoth(() => { const n = normaliseRows(t(), 1e-5); return [n.xHat, n.invStd]; }), ['x̂', '1/σ']);
    assertClose(
      await onBoth(() => {
        const n = normaliseRows(t(), 1e-5);
        const g = tf.tensor2d(dy, [ROWS, WIDTH]);
        return [normaliseRowsBackward(g, n.xHat, n.invStd), normaliseRowsBackward(g, n.xHat, n.invStd, tf.tensor2d(residual, [ROWS, WIDTH]))];
      }),
      ['dx', 'dx + residual'],
    );
    const weights = () => [tf.tensor2d(dy, [ROWS, WIDTH]), tf.tensor2d(values(ROWS, 1), [ROWS, 1])];
    const w = weights();
    const cpuW = await Promise.all(w.map((t) => t.data()));
    tf.dispose(w);
    assertClose(
      await onBoth(() => {
        const ws = [tf.tensor2d(cpuW[0] as Float32Array, [ROWS, WIDTH]), tf.tensor2d(cpuW[1] as Float32Array, [ROWS, 1])];
        if (tf.getBackend() === 'cpu') return gradsOf((xs) => { const c = tf.sub(xs!, tf.mean(xs!, -1, true)); const inv = tf.rsqrt(tf.add(tf.mean(tf.square(c), -1, true), 1e-5)); return [tf.mul(c, inv), inv]; }, [t()], ws);
        return gradsOf((xs) => { const n = normaliseRows(xs as tf.Tensor2D, 1e-5); return [n.xHat, n.invStd]; }, [t()], ws);
      }),
      ['dx'],
    );
  });

  it('SlipkitBiasGelu(WithDerivative) and SlipkitBiasResidual: values and gradients', async () => {
    const h = () => tf.tensor2d(x, [ROWS, WIDTH]);
    const b = () => tf.tensor1d(bias);
    assertClose(await onBoth(() => { const o = biasScaledGelu(h(), b(), true); return [o.value, o.derivative!, biasScaledGelu(h(), b(), false).value]; }), ['f', 'f′', 'f alone']);
    assertClose(await onBoth(() => [biasResidual(tf.tensor2d(residual, [ROWS, WIDTH]), h(), b())]), ['x + h + b']);
    const reference = (hs: tf.Tensor, bs: tf.Tensor) => { const z = tf.add(hs, bs); return [tf.mul(z, tf.add(tf.erf(z), 1))]; };
    assertClose(
      await onBoth(() => gradsOf(tf.getBackend() === 'cpu' ? reference : (hs, bs) => [biasScaledGelu(hs!, bs as tf.Tensor1D, false).value], [h(), b()], [tf.tensor2d(dy, [ROWS, WIDTH])])),
      ['dh', 'db'],
    );
    assertClose(
      await onBoth(() => gradsOf(tf.getBackend() === 'cpu' ? (xs, hs, bs) => [tf.add(xs!, tf.add(hs!, bs!))] : (xs, hs, bs) => [biasResidual(xs!, hs!, bs as tf.Tensor1D)], [tf.tensor2d(residual, [ROWS, WIDTH]), h(), b()], [tf.tensor2d(dy, [ROWS, WIDTH])])),
      ['dx', 'dh', 'db'],
    );
  });

  it('SlipkitMulColumnSums over 70 columns: values and gradients', async () => {
    const [n, d] = [257, 70];
    const a = values(n * d);
    const g = values(n * d);
    const wp = values(n * d);
    const ws = values(d);
    assertClose(await onBoth(() => { const o = mulColumnSums(tf.tensor2d(a, [n, d]), tf.tensor2d(g, [n, d])); return [o.product, o.sums]; }), ['a ⊙ g', 'sums']);
    assertClose(
      await onBoth(() =>
        gradsOf(
          tf.getBackend() === 'cpu' ? (as, gs) => { const p = tf.mul(as!, gs!); return [p, tf.sum(p, 0)]; } : (as, gs) => { const o = mulColumnSums(as as tf.Tensor2D, gs as tf.Tensor2D); return [o.product, o.sums]; },
          [tf.tensor2d(a, [n, d]), tf.tensor2d(g, [n, d])],
          [tf.tensor2d(wp, [n, d]), tf.tensor1d(ws)],
        ),
      ),
      ['da', 'dg'],
    );
  });

  for (const s of ATTENTION) {
    it(`SlipkitAttention and SlipkitAttentionGrad (${s.causal ? 'causal' : 'bidirectional'}, ${s.batch}×${s.tokens} tokens, ${s.heads} heads of ${s.d}): values, and d(qkv) against autodiff`, async () => {
      const cols = 3 * s.heads * s.d;
      const qkv = values(s.batch * s.tokens * cols);
      const qkvBias = values(cols, 0.3);
      const dContext = values((s.batch * s.tokens * cols) / 3);
      const attrs = { heads: s.heads, tokens: s.tokens, causal: s.causal, scale: 0.35 };
      const inputs = () => [tf.tensor2d(qkv, [s.batch * s.tokens, cols]), tf.tensor1d(qkvBias)] as const;
      assertClose(await onBoth(() => { const o = attention(...inputs(), attrs); return [o.output, o.probs, o.biased]; }), ['context', 'P', 'qkv + b']);
      // cpu: autodiff of the reference (tf ops); webgpu: the WGSL backward pass from what the WGSL forward pass kept.
      assertClose(
        await onBoth(() => {
          const [q, b] = inputs();
          const dy = tf.tensor2d(dContext, [s.batch * s.tokens, cols / 3]);
          if (tf.getBackend() === 'cpu') return gradsOf((qs) => [runFused('SlipkitAttention', [qs!, b], attrs)[0]!], [q], [dy]);
          const o = attention(q, b, attrs);
          return [attentionGrad(dy, o.biased, o.probs, attrs)];
        }),
        ['d(qkv)'],
      );
    });
  }

  it('SlipkitFoldNorm over 300 inputs and 70 outputs: values, and gradients through its registered gradient', async () => {
    const [n, d] = [WIDTH, 70];
    const arrays = [values(n * d), values(d), values(n), values(n), values(d)];
    const inputs = () => [tf.tensor2d(arrays[0]!, [n, d]), tf.tensor1d(arrays[1]!), tf.tensor1d(arrays[2]!), tf.tensor1d(arrays[3]!), tf.tensor1d(arrays[4]!)];
    assertClose(await onBoth(() => { const o = foldNorm(...(inputs() as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D])); return [o.weight, o.bias]; }), ['W′', 'b′']);
    const dw = values(n * d);
    const db = values(d);
    assertClose(
      await onBoth(() =>
        gradsOf(
          tf.getBackend() === 'cpu'
            ? (w, b, g, be, s) => [tf.mul(tf.mul(tf.reshape(g!, [-1, 1]), w!), s!), tf.mul(tf.add(tf.reshape(tf.matMul(tf.reshape(be!, [1, -1]), w!), [-1]), b!), s!)]
            : (w, b, g, be, s) => { const o = foldNorm(w as tf.Tensor2D, b as tf.Tensor1D, g as tf.Tensor1D, be as tf.Tensor1D, s as tf.Tensor1D); return [o.weight, o.bias]; },
          inputs(),
          [tf.tensor2d(dw, [n, d]), tf.tensor1d(db)],
        ),
      ),
      ['dW', 'db', 'dγ', 'dβ', 'ds'],
    );
  });

  it('SlipkitAdamW: one pass equal to the reference update, with and without decay', async () => {
    const n = 1000;
    const [p, g, m, v] = [values(n), values(n), values(n, 0.1), Float32Array.from(values(n), (e) => e * e * 0.01)];
    for (const decay of [1, 1 - 1e-3 * 0.1]) {
      const attrs = { lr: 1e-3, beta1: 0.9, beta2: 0.98, eps: 1e-8, decay, bc1: 1 - 0.9 ** 3, bc2Sqrt: Math.sqrt(1 - 0.98 ** 3) };
      assertClose(await onBoth(() => { const o = adamwUpdate(tf.tensor1d(p), tf.tensor1d(g), tf.tensor1d(m), tf.tensor1d(v), attrs); return [o.param, o.m, o.v]; }), ['p′', 'm′', 'v′']);
    }
  });

  it('keep the tensor count flat', async () => {
    await tf.setBackend('webgpu');
    const s = ATTENTION[1]!;
    const cols = 3 * s.heads * s.d;
    const t = tf.tensor2d(x, [ROWS, WIDTH]);
    const b = tf.tensor1d(bias);
    const qkv = tf.tensor2d(values(s.batch * s.tokens * cols), [s.batch * s.tokens, cols]);
    const qb = tf.tensor1d(values(cols));
    const dc = tf.tensor2d(values((s.batch * s.tokens * cols) / 3), [s.batch * s.tokens, cols / 3]);
    const attrs = { heads: s.heads, tokens: s.tokens, causal: s.causal, scale: 0.35 };
    await assertFlatTensorCount(3, async () => {
      const out = tf.tidy(() => {
        const n = normaliseRows(t, 1e-5);
        const o = attention(qkv, qb, attrs);
        return [normaliseRowsBackward(t, n.xHat, n.invStd, t), biasScaledGelu(t, b, true).value, biasResidual(t, t, b), mulColumnSums(t, t).sums, attentionGrad(dc, o.biased, o.probs, attrs)];
      });
      await Promise.all(out.map((o) => o.data()));
      tf.dispose(out);
    });
    tf.dispose([t, b, qkv, qb, dc]);
  });
});

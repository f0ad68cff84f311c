import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { clipGlobalNorm } from '../../../core/engine/grad-clip';
import { AdamW } from '../../../core/engine/optim/adamw';
import { learningRate } from '../../../core/engine/schedule';
import { fixturePath } from '../../helpers/paths';
import { assertFlatTensorCount } from '../../helpers/memory';

// Reference values from PyTorch / NumPy: test/reference/engine.py
const ref = JSON.parse(fs.readFileSync(fixturePath('engine', 'reference.json'), 'utf8'));

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const tol = atol + rtol * Math.abs(expected[i]);
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('AdamW (against torch.optim.AdamW)', () => {
  it('matches five steps with changing learning rates, decay only where declared', () => {
    const a = ref.adamw;
    const w = tf.variable(tf.tensor(a.w0, [3, 4]));
    const b = tf.variable(tf.tensor(a.b0, [4]));
    const opt = new AdamW(
      [
        { name: 'w', variable: w, decay: true },
        { name: 'b', variable: b, decay: false },
      ],
      { betas: a.betas, eps: a.eps, weightDecay: a.weightDecay },
    );
    a.grads.forEach((g: { w: number[]; b: number[] }, i: number) => {
      const grads = new Map<string, tf.Tensor>([
        ['w', tf.tensor(g.w, [3, 4])],
        ['b', tf.tensor(g.b, [4])],
      ]);
      opt.apply(grads, a.lrs[i]);
      tf.dispose([...grads.values()]);
      assertClose(w.dataSync(), a.history[i].w, 1e-5, 1e-7, `w after step ${i + 1}`);
      assertClose(b.dataSync(), a.history[i].b, 1e-5, 1e-7, `b after step ${i + 1}`);
    });
    const state = opt.stateTensors();
    assertClose(state.get('w.exp_avg')!.dataSync(), a.exp_avg_w, 1e-5, 1e-8, 'exp_avg');
    assertClose(state.get('w.exp_avg_sq')!.dataSync(), a.exp_avg_sq_w, 1e-5, 1e-10, 'exp_avg_sq');
    tf.dispose([...state.values()]);
    opt.dispose();
    tf.dispose([w, b]);
  });

  it('keeps the tensor count flat across steps', async () => {
    const w = tf.variable(tf.ones([8, 8]));
    const opt = new AdamW([{ name: 'w', variable: w, decay: true }], { betas: [0.9, 0.98], eps: 1e-8, weightDecay: 0.1 });
    await assertFlatTensorCount(10, () => {
      const g = new Map([['w', tf.onesLike(w) as tf.Tensor]]);
      opt.apply(g, 1e-3);
      tf.dispose([...g.values()]);
    });
    opt.dispose();
    w.dispose();
  });
});

describe('learning-rate schedule (against SLIP cosine_scheduler in NumPy)', () => {
  for (const c of ref.schedule as Array<{ total: number; warmup: number; peak: number; start: number; end: number; values: number[] }>) {
    it(`total ${c.total}, warmup ${c.warmup}`, () => {
      const ours = c.values.map((_, step) => learningRate(step, c.total, c.peak, { type: 'cosine', warmupSteps: c.warmup, startLr: c.start, endLr: c.end }));
      assertClose(ours, c.values, 1e-12, 1e-15, 'lr');
    });
  }
});

describe('gradient clipping (against torch.nn.utils.clip_grad_norm_)', () => {
  it('returns the pre-clip norm and scales every gradient', async () => {
    const c = ref.clipNorm;
    const grads = new Map<string, tf.Tensor>(c.grads.map((g: number[], i: number) => [`p${i}`, tf.tensor(g, c.shapes[i])]));
    const normTensor = clipGlobalNorm(grads, c.maxNorm);
    const norm = (await normTensor.data())[0];
    normTensor.dispose();
    assert.ok(Math.abs(norm - c.norm) <= 1e-5 * c.norm, `norm ${norm} vs ${c.norm}`);
    [...grads.values()].forEach((g, i) => assertClose(g.dataSync(), c.clipped[i], 1e-5, 1e-7, `grad ${i}`));
    tf.dispose([...grads.values()]);
  });
});

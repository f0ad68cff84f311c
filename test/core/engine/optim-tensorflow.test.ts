import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../core/backend';
import { nativeTested } from '../../helpers/backends';
import type { NamedVariable } from '../../../core/contracts/trainable';
import { AdamW, type AdamWOptions } from '../../../core/engine/optim/adamw';
import { tensorflowFusedAdamAvailable } from '../../../core/backend/adamw';
import { Logger } from '../../../core/logger';
import { assertFlatTensorCount } from '../../helpers/memory';
import { fixturePath } from '../../helpers/paths';

// Reference values from PyTorch: test/reference/engine.py (the same fixture as optim.test.ts).
const ref = JSON.parse(fs.readFileSync(fixturePath('engine', 'reference.json'), 'utf8'));
const quiet = new Logger('error', { write: () => undefined });

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, atol: number): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (atol + Math.abs(b[i])));
  return worst;
}

/** Two parameters (one decayed), as in the torch fixture. */
function fixtureParams(): NamedVariable[] {
  return [
    { name: 'w', variable: tf.variable(tf.tensor(ref.adamw.w0, [3, 4])), decay: true },
    { name: 'b', variable: tf.variable(tf.tensor(ref.adamw.b0, [4])), decay: false },
  ];
}

function fixtureGrads(i: number): Map<string, tf.Tensor> {
  const g = ref.adamw.grads[i] as { w: number[]; b: number[] };
  return new Map<string, tf.Tensor>([
    ['w', tf.tensor(g.w, [3, 4])],
    ['b', tf.tensor(g.b, [4])],
  ]);
}

const options = (implementation: AdamWOptions['implementation']): AdamWOptions => ({
  betas: ref.adamw.betas,
  eps: ref.adamw.eps,
  weightDecay: ref.adamw.weightDecay,
  implementation,
});

describe('AdamW with TensorFlow\'s fused kernel (native backend)', function () {
  this.timeout(60_000);
  const native = nativeTested();

  if (!native) {
    // Without the native backend (setup:native failed or was not run) there is nothing fused to
    // test; what must hold is that AdamW falls back to tf ops and refuses the fused kernel clearly.
    it('without the native backend: auto uses tf ops, and forcing the fused kernel is refused', () => {
      assert.equal(tensorflowFusedAdamAvailable(), false);
      assert.equal(new AdamW([], options('auto')).implementation, 'tf-ops');
      assert.throws(() => new AdamW([], options('tensorflow-fused')), /the fused AdamW needs the tensorflow backend \(active: cpu\)/);
    });
    return;
  }

  let previous: string;
  before(async () => {
    previous = tf.getBackend();
    await selectBackend('tensorflow', quiet);
  });
  after(async () => {
    await tf.setBackend(previous);
  });

  it('is what auto picks on the tensorflow backend, and tf ops on cpu', async () => {
    assert.equal(new AdamW([], options('auto')).implementation, 'tensorflow-fused');
    await tf.setBackend('cpu');
    try {
      assert.equal(new AdamW([], options('auto')).implementation, 'tf-ops');
    } finally {
      await tf.setBackend('tensorflow');
    }
  });

  it('matches torch.optim.AdamW over five steps with changing learning rates, decay only where declared', () => {
    const params = fixtureParams();
    const opt = new AdamW(params, options('tensorflow-fused'));
    ref.adamw.lrs.forEach((lr: number, i: number) => {
      const grads = fixtureGrads(i);
      opt.apply(grads, lr);
      tf.dispose([...grads.values()]);
      assert.ok(maxRelDiff(params[0].variable.dataSync(), ref.adamw.history[i].w, 1e-7) < 1e-5, `w after step ${i + 1}`);
      assert.ok(maxRelDiff(params[1].variable.dataSync(), ref.adamw.history[i].b, 1e-7) < 1e-5, `b after step ${i + 1}`);
    });
    const state = opt.stateTensors();
    assert.ok(maxRelDiff(state.get('w.exp_avg')!.dataSync(), ref.adamw.exp_avg_w, 1e-8) < 1e-5, 'exp_avg');
    assert.ok(maxRelDiff(state.get('w.exp_avg_sq')!.dataSync(), ref.adamw.exp_avg_sq_w, 1e-10) < 1e-5, 'exp_avg_sq');
    tf.dispose([...state.values()]);
    opt.dispose();
    tf.dispose(params.map((p) => p.variable));
  });

  it('equals the tf-ops AdamW step for step, including values assigned to a parameter between steps', () => {
    const fused = fixtureParams();
    const plain = fixtureParams();
    const a = new AdamW(fused, options('tensorflow-fused'));
    const b = new AdamW(plain, options('tf-ops'));
    for (let i = 0; i < ref.adamw.lrs.length; i++) {
      for (const [opt, params] of [[a, fused], [b, plain]] as const) {
        const grads = fixtureGrads(i);
        opt.apply(grads, ref.adamw.lrs[i]);
        tf.dispose([...grads.values()]);
        // What the CLIP objective's logit-scale clamp or a checkpoint restore does between steps.
        if (i === 2) tf.tidy(() => params[1].variable.assign(tf.add(tf.mul(params[1].variable, 0.5), 0.1)));
      }
      for (let k = 0; k < 2; k++) {
        const diff = maxRelDiff(fused[k].variable.dataSync(), plain[k].variable.dataSync(), 1e-7);
        assert.ok(diff < 1e-5, `${fused[k].name} after step ${i + 1}: relative difference ${diff}`);
      }
    }
    tf.dispose([a, b].flatMap((o) => [...o.stateTensors().values()]));
    a.dispose();
    b.dispose();
    tf.dispose([...fused, ...plain].map((p) => p.variable));
  });

  it('restores saved moments: a reloaded optimizer continues exactly as the original', () => {
    const original = fixtureParams();
    const opt = new AdamW(original, options('tensorflow-fused'));
    for (let i = 0; i < 3; i++) {
      const grads = fixtureGrads(i);
      opt.apply(grads, ref.adamw.lrs[i]);
      tf.dispose([...grads.values()]);
    }
    const saved = opt.stateTensors();
    const copy = original.map((p) => ({ ...p, variable: tf.variable(p.variable.clone()) }));
    const reloaded = new AdamW(copy, options('tensorflow-fused'));
    reloaded.loadState(opt.step, saved);
    tf.dispose([...saved.values()]);
    for (const o of [opt, reloaded]) {
      const grads = fixtureGrads(3);
      o.apply(grads, ref.adamw.lrs[3]);
      tf.dispose([...grads.values()]);
    }
    for (let k = 0; k < 2; k++) assert.deepEqual(copy[k].variable.dataSync(), original[k].variable.dataSync());
    opt.dispose();
    reloaded.dispose();
    tf.dispose([...original, ...copy].map((p) => p.variable));
  });

  it('keeps the tensor count flat across steps and frees everything on dispose, also when applied inside tf.tidy', async () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.ones([64, 32])));
    const opt = new AdamW([{ name: 'w', variable: w, decay: true }], { betas: [0.9, 0.98], eps: 1e-8, weightDecay: 0.1, implementation: 'tensorflow-fused' });
    await assertFlatTensorCount(10, () => {
      const g = new Map([['w', tf.onesLike(w) as tf.Tensor]]);
      tf.tidy(() => opt.apply(g, 1e-3));
      tf.dispose([...g.values()]);
    });
    assert.ok(w.dataSync()[0] < 1, 'the parameter moved');
    opt.dispose();
    w.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { fusedOpsActive, selectBackend, setFusedOpsEnabled } from '../../../core/backend';
import { adamwUpdate } from '../../../core/backend/fused';
import { nativeTested } from '../../helpers/backends';
import type { NamedVariable } from '../../../core/contracts/trainable';
import { AdamW, type AdamWOptions } from '../../../core/engine/optim/adamw';
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

describe('AdamW on the native backend: the native SlipkitAdamW kernel (auto) and TensorFlow\'s ResourceApplyAdam', function () {
  this.timeout(60_000);
  const native = nativeTested();

  if (!native) {
    // Without the native backend (setup:native failed or was not run) there is nothing fused to
    // test; what must hold is that AdamW falls back to tf ops and refuses the fused kernel clearly.
    it('without the native backend: auto uses the SlipkitAdamW kernel, and forcing ResourceApplyAdam is refused', () => {
      assert.equal(new AdamW([], options('auto')).implementation, 'slipkit');
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

  it('auto runs SlipkitAdamW on every backend, with the native kernel on tensorflow (one kernel per parameter)', async () => {
    assert.equal(new AdamW([], options('auto')).implementation, 'slipkit');
    assert.ok(fusedOpsActive('SlipkitAdamW'), 'the native SlipkitAdamW is registered');
    const params = fixtureParams();
    const opt = new AdamW(params, options('auto'));
    const grads = fixtureGrads(0);
    opt.apply(grads, ref.adamw.lrs[0]); // creates the moments
    const profile = await tf.profile(() => opt.apply(grads, ref.adamw.lrs[1]));
    assert.deepEqual(profile.kernels.map((k) => k.name), ['SlipkitAdamW', 'SlipkitAdamW']);
    tf.dispose([...grads.values(), ...params.map((p) => p.variable)]);
    opt.dispose();
    await tf.setBackend('cpu');
    try {
      assert.equal(new AdamW([], options('auto')).implementation, 'slipkit');
    } finally {
      await tf.setBackend('tensorflow');
    }
  });

  for (const implementation of ['slipkit', 'tensorflow-fused'] as const) {
    it(`${implementation}: matches torch.optim.AdamW over five steps with changing learning rates, decay only where declared`, () => {
      matchesTorch(implementation);
    });
  }

  function matchesTorch(implementation: AdamWOptions['implementation']): void {
    const params = fixtureParams();
    const opt = new AdamW(params, options(implementation));
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
  }

  it('the native SlipkitAdamW equals its reference formulation on a parameter split over threads (100,003 entries), with and without decay', () => {
    const n = 100_003;
    const rand = (scale: number, seed: number) => tf.mul(tf.randomNormal([n], 0, 1, 'float32', seed), scale);
    for (const decay of [1, 1 - 1e-3 * 0.1]) {
      const attrs = { lr: 1e-3, beta1: 0.9, beta2: 0.98, eps: 1e-8, decay, bc1: 1 - 0.9 ** 3, bc2Sqrt: Math.sqrt(1 - 0.98 ** 3) };
      const run = (fused: boolean): Float32Array[] => {
        const previous = setFusedOpsEnabled(fused);
        try {
          return tf.tidy(() => {
            // Fresh moments each time: the native kernel consumes (overwrites) its m and v inputs.
            const out = adamwUpdate(rand(1, 1), rand(1, 2), rand(0.1, 3), tf.square(rand(0.1, 4)), attrs);
            return [out.param, out.m, out.v].map((t) => t.dataSync() as Float32Array);
          });
        } finally {
          setFusedOpsEnabled(previous);
        }
      };
      const [native, reference] = [run(true), run(false)];
      // Against the largest entry: the kernel may fuse a·b + c into one rounding (FMA), which
      // moves entries that nearly cancel by more than their own size allows.
      ['p′', 'm′', 'v′'].forEach((name, i) => {
        const want = reference[i]!;
        const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const worst = native[i]!.reduce((m, v, k) => Math.max(m, Math.abs(v - want[k]!)), 0);
        assert.ok(scale > 0 && worst <= 1e-6 * scale, `${name} (decay ${decay}): max difference ${worst} against largest entry ${scale}`);
      });
    }
  });

  it('slipkit: moments read out (a checkpoint) or written in keep their values while the kernel updates the moments in place', () => {
    const params = fixtureParams();
    const opt = new AdamW(params, options('slipkit'));
    const step = (i: number): void => {
      const grads = fixtureGrads(i);
      opt.apply(grads, ref.adamw.lrs[i]);
      tf.dispose([...grads.values()]);
    };
    step(0);
    const saved = opt.stateTensors();
    const before = new Map([...saved].map(([k, t]) => [k, Array.from(t.dataSync())]));
    step(1);
    for (const [k, t] of saved) assert.deepEqual(Array.from(t.dataSync()), before.get(k), `${k} changed under the caller`);
    // Loading state takes copies too: the caller's tensors stay as they were after more steps.
    const reloaded = new AdamW(params, options('slipkit'));
    reloaded.loadState(1, saved);
    const grads = fixtureGrads(2);
    reloaded.apply(grads, ref.adamw.lrs[2]);
    tf.dispose([...grads.values()]);
    for (const [k, t] of saved) assert.deepEqual(Array.from(t.dataSync()), before.get(k), `${k} changed after loadState`);
    tf.dispose([...saved.values()]);
    opt.dispose();
    reloaded.dispose();
    tf.dispose(params.map((p) => p.variable));
  });

  it('equals the slipkit AdamW step for step, including values assigned to a parameter between steps', () => {
    const fused = fixtureParams();
    const plain = fixtureParams();
    const a = new AdamW(fused, options('tensorflow-fused'));
    const b = new AdamW(plain, options('slipkit'));
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

  for (const implementation of ['slipkit', 'tensorflow-fused'] as const) it(`${implementation}: keeps the tensor count flat across steps and frees everything on dispose, also when applied inside tf.tidy`, async () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.ones([64, 32])));
    const opt = new AdamW([{ name: 'w', variable: w, decay: true }], { betas: [0.9, 0.98], eps: 1e-8, weightDecay: 0.1, implementation });
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

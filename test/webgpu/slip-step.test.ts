import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { DataLoader, type Batch } from '../../core/data/loader';
import { buildExperiment, trainableParams, type Experiment } from '../../core/engine/experiment';
import { AdamW } from '../../core/engine/optim/adamw';
import { disposeStepBatch, prepareStepBatch } from '../../core/engine/prepare-batch';
import { plainStep, type StepBatch } from '../../core/engine/step';
import { readStepFigures } from '../../core/engine/step-figures';
import { trainStep, type TrainState } from '../../core/engine/train-step';
import { Rng } from '../../core/random';
import { assertFlatTensorCount } from '../helpers/memory';
import { builtinRegistry, loadSpec, quietLog, specPath } from '../helpers/runs';
import { describeOnWebgpu } from '../helpers/webgpu';

/** One plain step's loss, metrics and gradients, read back as arrays. */
async function stepFigures(exp: Experiment, stepBatch: StepBatch): Promise<{ total: number; losses: number[]; grads: Map<string, Float32Array> }> {
  const out = await plainStep({ model: exp.model, slots: exp.slots, params: trainableParams(exp), step: 0, totalSteps: 10 }, stepBatch);
  const grads = new Map<string, Float32Array>();
  for (const [name, g] of out.grads) grads.set(name, (await g.data()) as Float32Array);
  tf.dispose([...out.grads.values()]);
  return { total: out.total, losses: out.losses, grads };
}

// Real WebGPU (Dawn) on lavapipe: the tiny SLIP model (ViT, text transformer, CLIP + SimCLR).
describeOnWebgpu('a SLIP step', () => {
  let exp: Experiment;
  let loader: DataLoader;
  before(async () => {
    const registry = builtinRegistry();
    exp = await buildExperiment(loadSpec(specPath('tiny-slip.json'), registry), registry, quietLog, { withTracker: false });
    loader = new DataLoader(exp.dataset, { batchSize: 8, loadSize: 18, workers: 0, prefetchBatches: 1, seed: 0, shuffle: false, repeat: true, maxFailureFraction: 0, log: quietLog });
  });
  after(async () => {
    await loader.close();
    for (const p of trainableParams(exp)) p.variable.dispose();
  });

  it("gives the cpu backend's loss and every parameter gradient within 1e-4", async () => {
    const batch = (await loader.next())!;
    const stepBatch = prepareStepBatch(exp, batch, new Rng(5));
    batch.images.dispose();
    await tf.setBackend('cpu');
    const cpu = await stepFigures(exp, stepBatch);
    await tf.setBackend('webgpu');
    const gpu = await stepFigures(exp, stepBatch);
    disposeStepBatch(stepBatch);

    assert.ok(Math.abs(gpu.total - cpu.total) <= 1e-4 * Math.abs(cpu.total), `loss ${gpu.total} vs cpu ${cpu.total}`);
    gpu.losses.forEach((l, i) => assert.ok(Math.abs(l - cpu.losses[i]) <= 1e-4 * Math.abs(cpu.losses[i]), `objective ${i}: ${l} vs ${cpu.losses[i]}`));
    assert.deepEqual([...gpu.grads.keys()], [...cpu.grads.keys()]);
    assert.ok(cpu.grads.size > 20, `${cpu.grads.size} gradients`);
    const largest = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const overall = Math.max(...[...cpu.grads.values()].map(largest));
    // The bias of a linear layer that feeds BatchNorm (the SimCLR head's first layer) has a
    // gradient of zero in exact arithmetic: both backends hold only rounding there, so each is
    // checked to be at rounding level rather than against the other.
    const zeroInExactArithmetic = /^simclr\.image_mlp\.layer1\.bias$/;
    assert.ok(cpu.grads.has('simclr.image_mlp.layer1.bias'));
    for (const [name, expected] of cpu.grads) {
      const got = gpu.grads.get(name)!;
      if (zeroInExactArithmetic.test(name)) {
        for (const [backend, g] of [['cpu', expected], ['webgpu', got]] as const) {
          assert.ok(largest(g) <= 1e-6 * overall, `${name} on ${backend}: ${largest(g)} is not rounding next to the largest gradient ${overall}`);
        }
        continue;
      }
      // Relative to the gradient's largest entry (at least a thousandth of the model's largest).
      const scale = Math.max(largest(expected), 1e-3 * overall);
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
      assert.ok(worst <= 1e-4 * scale, `${name}: max difference ${worst} against largest entry ${scale}`);
    }
  });

  it('trains with AdamW, reading back only asynchronously, with a flat tensor count', async () => {
    const params = trainableParams(exp);
    const o = exp.spec.optimizer;
    const state: TrainState = { exp, params, encoderParams: exp.model.encoderVariables(), optimizer: new AdamW(params, { betas: o.betas, eps: o.eps, weightDecay: o.weightDecay }), augmentRng: new Rng(1) };
    const losses: number[] = [];
    try {
      await assertFlatTensorCount(3, async (i) => {
        const out = await trainStep(state, { step: i, totalSteps: 3 }, async (): Promise<Batch> => (await loader.next())!, 1e-3);
        losses.push((await readStepFigures([out.figures]))[0].total);
      });
    } finally {
      state.optimizer.dispose();
    }
    assert.equal(tf.getBackend(), 'webgpu');
    for (const l of losses) assert.ok(Number.isFinite(l) && l > 0, `losses ${losses}`);
  });
});

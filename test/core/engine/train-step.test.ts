import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { DataLoader, loadSizeFor } from '../../../core/data/loader';
import { buildExperiment, trainableParams, type Experiment } from '../../../core/engine/experiment';
import { AdamW } from '../../../core/engine/optim/adamw';
import { disposeStepBatch, prepareStepBatch } from '../../../core/engine/prepare-batch';
import { plainStep, type StepOutcome } from '../../../core/engine/step';
import { readStepFigures } from '../../../core/engine/step-figures';
import { trainStep, type TrainState } from '../../../core/engine/train-step';
import { Rng } from '../../../core/random';
import { assertFlatTensorCount } from '../../helpers/memory';
import { builtinRegistry, loadSpec, quietLog, specPath } from '../../helpers/runs';

// Synthetic data (synthetic-shapes); the tiny SLIP model (ViT, text transformer, CLIP + SimCLR), two micro-batches of 4 per step.
describe('trainStep (the pure training step)', function () {
  this.timeout(120000);
  let exp: Experiment;
  let loader: DataLoader;
  let state: TrainState;

  before(async () => {
    const registry = builtinRegistry();
    exp = await buildExperiment(loadSpec(specPath('tiny-slip.json'), registry, ['train.accumulate=2', 'optimizer.clipGradNorm=0.5']), registry, quietLog, { withTracker: false });
    const params = trainableParams(exp);
    const o = exp.spec.optimizer;
    state = { exp, params, encoderParams: exp.model.encoderVariables(), optimizer: new AdamW(params, { betas: o.betas, eps: o.eps, weightDecay: o.weightDecay }), augmentRng: new Rng(11) };
    loader = new DataLoader(exp.dataset, { batchSize: 4, loadSize: loadSizeFor(exp.spec.data), workers: 0, prefetchBatches: 1, seed: 0, shuffle: false, repeat: true, maxFailureFraction: 0, log: quietLog });
  });
  after(async () => {
    await loader.close();
    state.optimizer.dispose();
    for (const p of [...state.params, ...exp.slots.flatMap((s) => s.ema?.variables() ?? [])]) p.variable.dispose();
  });

  it('averages its micro-batches: their mean loss, and one AdamW update along their mean gradient', async () => {
    const micro = [(await loader.next())!, (await loader.next())!];
    // The reference: each micro-batch on its own, with the same augmentation stream, before any update.
    const rng = new Rng(11);
    const ctx = { model: exp.model, slots: exp.slots, params: state.params, step: 0, totalSteps: 4 };
    const alone: StepOutcome[] = [];
    for (const b of micro) {
      const sb = prepareStepBatch(exp, b, rng);
      alone.push(await plainStep(ctx, sb));
      disposeStepBatch(sb);
    }
    const watched = state.params.filter((p) => !p.decay);
    const before = new Map(watched.map((p) => [p.name, p.variable.dataSync().slice()]));

    const queue = [...micro];
    const step = await trainStep(state, { step: 0, totalSteps: 4 }, async () => queue.shift()!, 1e-3);
    const [out] = await readStepFigures([step.figures]);

    assert.equal(out.total, (alone[0].total + alone[1].total) / 2);
    assert.deepEqual(out.losses, alone[0].losses.map((l, i) => (l + alone[1].losses[i]) / 2));
    assert.equal(step.images, 8);
    assert.deepEqual(step.position, micro[1].position);
    assert.ok(out.metrics.grad_norm > 0.5, `grad_norm ${out.metrics.grad_norm} (clipped to 0.5)`);
    // AdamW's first step moves each parameter by lr·g/(|g|+eps) against its gradient g, here the
    // micro-batches' mean gradient scaled by the clipping: its sign differs from one
    // micro-batch's wherever the two disagree.
    const clip = Math.min(1, 0.5 / (out.metrics.grad_norm + 1e-6));
    const eps = exp.spec.optimizer.eps;
    let disagreeing = 0;
    for (const p of watched) {
      const g1 = alone[0].grads.get(p.name)?.dataSync();
      const g2 = alone[1].grads.get(p.name)?.dataSync();
      if (!g1 || !g2) continue;
      const now = p.variable.dataSync();
      const was = before.get(p.name)!;
      for (let i = 0; i < now.length; i++) {
        const g = ((g1[i] + g2[i]) / 2) * clip;
        if (Math.sign(g1[i]) * Math.sign(g2[i]) < 0) disagreeing++;
        const expected = (-1e-3 * g) / (Math.abs(g) + eps);
        assert.ok(Math.abs(now[i] - was[i] - expected) < 2e-6, `${p.name}[${i}] moved by ${now[i] - was[i]}, not ${expected}`);
      }
    }
    assert.ok(disagreeing > 0, 'some micro-batch gradients disagree in sign');
    tf.dispose(alone.flatMap((a) => [...a.grads.values()]));
  });

  it('leaves no tensors behind from step to step', async () => {
    const batch = (await loader.next())!;
    await loader.close(); // a loader prefetches behind the step's awaits; only the step's tensors are counted here
    let step = 1;
    await assertFlatTensorCount(3, async () => {
      const out = await trainStep(state, { step: step++, totalSteps: 4 }, async () => ({ ...batch, images: batch.images.clone() }), 1e-3);
      await readStepFigures([out.figures]);
    });
    batch.images.dispose();
  });
});

import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { DataLoader } from '../../../core/data/loader';
import { buildExperiment, trainableParams } from '../../../core/engine/experiment';
import { disposeStepBatch, prepareStepBatch } from '../../../core/engine/prepare-batch';
import { gradCacheStep, plainStep } from '../../../core/engine/step';
import { Rng } from '../../../core/random';
import { builtinRegistry, loadSpec, quietLog, specPath } from '../../helpers/runs';

// Synthetic data (synthetic-shapes); real ViT, text transformer, CLIP and SimCLR (with BatchNorm in its head).
describe('GradCache (memory-bounded large batches)', function () {
  this.timeout(120000);

  it('gives the same loss, metrics and parameter gradients as the plain large-batch step', async () => {
    const registry = builtinRegistry();
    const exp = await buildExperiment(loadSpec(specPath('tiny-slip.json'), registry), registry, quietLog, { withTracker: false });
    const params = trainableParams(exp);
    const loader = new DataLoader(exp.dataset, { batchSize: 8, loadSize: 18, workers: 0, prefetchBatches: 1, seed: 0, shuffle: false, repeat: false, maxFailureFraction: 0, log: quietLog });
    const batch = (await loader.next())!;
    await loader.close();
    const stepBatch = prepareStepBatch(exp, batch, new Rng(5));
    batch.images.dispose();
    const ctx = { model: exp.model, slots: exp.slots, params, step: 0, totalSteps: 10 };
    const plain = await plainStep(ctx, stepBatch);
    const cached = await gradCacheStep(ctx, stepBatch, 3, exp.model.encoderVariables()); // chunks of 3, 3, 2
    disposeStepBatch(stepBatch);

    assert.ok(Math.abs(plain.total - cached.total) <= 1e-5 * Math.abs(plain.total), `loss ${plain.total} vs ${cached.total}`);
    assert.deepEqual(Object.keys(cached.metrics).sort(), Object.keys(plain.metrics).sort());
    assert.deepEqual([...cached.grads.keys()].sort(), [...plain.grads.keys()].sort());
    let worst = 0;
    for (const [name, g] of plain.grads) {
      const a = g.dataSync();
      const b = cached.grads.get(name)!.dataSync();
      let scale = 1e-6;
      for (const x of a) scale = Math.max(scale, Math.abs(x));
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
    }
    assert.ok(worst < 1e-4, `largest gradient difference relative to the tensor's max: ${worst}`);
    tf.dispose([...plain.grads.values(), ...cached.grads.values()]);
  });
});

import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import type { ImageEncoder, ImageEncoderForwardOptions, ImageEncoderOutput } from '../../../core/contracts/encoders';
import { DataLoader } from '../../../core/data/loader';
import { viewImageSize, viewPatchMaskRatio } from '../../../core/data/views';
import { encodeViews } from '../../../core/engine/encode-views';
import { buildExperiment, emaParams, trainableParams } from '../../../core/engine/experiment';
import { disposeStepBatch, prepareStepBatch } from '../../../core/engine/prepare-batch';
import { gradCacheStep, plainStep } from '../../../core/engine/step';
import { Rng } from '../../../core/random';
import { assertFlatTensorCount } from '../../helpers/memory';
import { builtinRegistry, loadSpec, quietLog, specPath } from '../../helpers/runs';

/** Records each forward call's batch, image side and patch mask. */
class RecordingEncoder implements ImageEncoder {
  readonly featureDim = 1;
  readonly imageSize = 8;
  readonly batchIndependent = true;
  readonly supportsPatchMask = true;
  readonly calls: Array<{ batch: number; side: number; ratio?: number }> = [];
  forward(images: tf.Tensor4D, options: ImageEncoderForwardOptions = {}): ImageEncoderOutput {
    this.calls.push({ batch: images.shape[0], side: images.shape[1], ratio: options.patchMask?.ratio });
    return { pooled: tf.tidy(() => tf.reshape(tf.mean(images, [1, 2, 3]), [-1, 1]) as tf.Tensor2D) };
  }
  variables() {
    return [];
  }
}

async function firstBatch(spec: string, overrides: string[] = []) {
  const registry = builtinRegistry();
  const exp = await buildExperiment(loadSpec(specPath(spec), registry, overrides), registry, quietLog, { withTracker: false });
  const loader = new DataLoader(exp.dataset, { batchSize: 8, loadSize: 18, workers: 0, prefetchBatches: 1, seed: 0, shuffle: false, repeat: false, maxFailureFraction: 0, log: quietLog });
  const batch = (await loader.next())!;
  await loader.close();
  return { exp, batch };
}

describe('multi-crop views and patch-masked views in a step', function () {
  this.timeout(120000);

  it('encodes masked views alone with their mask, and the others grouped by size', () => {
    const encoder = new RecordingEncoder();
    const views = new Map([
      ['clip#0', tf.ones([2, 8, 8, 3]) as tf.Tensor4D],
      ['global#0', tf.ones([2, 8, 8, 3]) as tf.Tensor4D],
      ['local#0', tf.ones([2, 4, 4, 3]) as tf.Tensor4D],
      ['global#1', tf.ones([2, 8, 8, 3]) as tf.Tensor4D],
    ]);
    tf.tidy(() => {
      const out = encodeViews(encoder, views, { training: true, masks: new Map([['clip#0', { ratio: 0.5, seed: 1 }]]) });
      assert.deepEqual([...out.keys()].sort(), [...views.keys()].sort());
    });
    assert.deepEqual(encoder.calls, [{ batch: 2, side: 8, ratio: 0.5 }, { batch: 4, side: 8, ratio: undefined }, { batch: 2, side: 4, ratio: undefined }]);
    tf.dispose([...views.values()]);
  });

  it('builds local crops at their own size, masks for the masked view, and teacher features for the global crops only', async () => {
    const { exp, batch } = await firstBatch('tiny-multicrop-flip.json');
    assert.equal(viewImageSize(exp.views.local, 16), 8);
    assert.equal(viewImageSize(exp.views.global, 16), 16);
    assert.equal(viewPatchMaskRatio(exp.views.clip), 0.5);
    assert.equal(viewPatchMaskRatio(exp.evalView), undefined, 'evaluation does not mask');
    const step = prepareStepBatch(exp, batch, new Rng(5));
    batch.images.dispose();
    assert.deepEqual(step.views.get('local#1')!.shape, [8, 8, 8, 3]);
    assert.deepEqual(step.views.get('global#0')!.shape, [8, 16, 16, 3]);
    assert.deepEqual([...step.masks!.keys()], ['clip#0']);
    assert.deepEqual([...step.momentum.keys()].sort(), ['1:global#0', '1:global#1']);
    assert.ok(emaParams(exp).some((p) => p.name === 'dino.state.center'), 'the DINO center is checkpointed');
    disposeStepBatch(step);
  });

  it('gives GradCache the plain step’s loss and gradients with masked and multi-size views, and leaks nothing', async () => {
    const { exp, batch } = await firstBatch('tiny-multicrop-flip.json');
    const params = trainableParams(exp);
    const step = prepareStepBatch(exp, batch, new Rng(5));
    batch.images.dispose();
    const center = exp.slots[1].objective.state!()[0].variable;
    const ctx = { model: exp.model, slots: exp.slots, params, step: 0, totalSteps: 10 };
    const centerBefore = center.clone();
    const plain = await plainStep(ctx, step);
    center.assign(centerBefore); // the step moved DINO's center; the second must start from the same one
    const cached = await gradCacheStep(ctx, step, 3, exp.model.encoderVariables());
    assert.ok(Math.abs(plain.total - cached.total) <= 1e-5 * Math.abs(plain.total), `loss ${plain.total} vs ${cached.total}`);
    let worst = 0;
    for (const [name, g] of plain.grads) {
      const a = g.dataSync();
      const b = cached.grads.get(name)!.dataSync();
      let scale = 1e-6;
      for (const x of a) scale = Math.max(scale, Math.abs(x));
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
    }
    assert.ok(worst < 1e-4, `largest gradient difference relative to the tensor's max: ${worst}`);
    assert.ok(plain.grads.has('visual.pos_embed'));
    tf.dispose([...plain.grads.values(), ...cached.grads.values(), centerBefore]);
    await assertFlatTensorCount(2, async () => {
      const out = await plainStep(ctx, step);
      tf.dispose([...out.grads.values()]);
    });
    disposeStepBatch(step);
  });

  it('trains MAE on the masked view through the encoder’s kept tokens; GradCache refuses it with a clear error', async () => {
    const { exp, batch } = await firstBatch('tiny-multicrop-flip.json', ['objectives[1]={"type":"mae","views":["clip"],"decoder":{"width":16,"depth":1,"heads":2}}']);
    const params = trainableParams(exp);
    const step = prepareStepBatch(exp, batch, new Rng(5));
    batch.images.dispose();
    const ctx = { model: exp.model, slots: exp.slots, params, step: 0, totalSteps: 10 };
    const forward = exp.model.image.forward.bind(exp.model.image);
    const maskedPasses: boolean[] = [];
    exp.model.image.forward = (x, options) => {
      if (options?.patchMask) maskedPasses.push(options.returnTokens === true);
      return forward(x, options);
    };
    const out = await plainStep(ctx, step);
    exp.model.image.forward = forward;
    assert.deepEqual(maskedPasses, [true], 'CLIP (features) and MAE (tokens) share one pass over the masked view');
    assert.ok(Number.isFinite(out.losses[1]) && out.losses[1] > 0);
    for (const name of ['visual.blocks.0.attn.qkv.weight', 'mae.decoder_pred.weight', 'mae.mask_token']) {
      assert.ok(tf.tidy(() => tf.norm(out.grads.get(name)!).dataSync()[0]) > 0, `${name} gets a gradient`);
    }
    tf.dispose([...out.grads.values()]);
    await assert.rejects(gradCacheStep(ctx, step, 3, exp.model.encoderVariables()), /reads token sequences \(MAE\), which GradCache does not cache/);
    disposeStepBatch(step);
  });
});

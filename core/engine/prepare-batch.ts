import * as tf from '@tensorflow/tfjs';
import type { PatchMask } from '../contracts/encoders';
import { SampleKeyedRng } from '../data/sample-rng';
import { applyView, viewPatchMaskRatio } from '../data/views';
import type { Batch } from '../data/loader';
import { Rng } from '../random';
import type { Experiment } from './experiment';
import { encodeViews } from './encode-views';
import type { StepBatch } from './step';

/**
 * Turns a loaded batch into step inputs, outside any gradient tape: every view instance an
 * objective asked for is augmented once (shared between objectives), captions tokenised,
 * and EMA-encoder features computed without gradients.
 */
export function prepareStepBatch(exp: Pick<Experiment, 'spec' | 'model' | 'slots' | 'views'>, batch: Batch, rng: Rng): StepBatch {
  const views = new Map<string, tf.Tensor4D>();
  const masks = new Map<string, PatchMask>();
  for (const slot of exp.slots) {
    slot.objective.views.forEach((name, i) => {
      const key = slot.instances[i];
      if (views.has(key)) return;
      // Each sample's draws depend on (seed, epoch, view instance, sample key), not on the batch or rank.
      const keyed = new SampleKeyedRng(rng, exp.spec.seed, `augment:${batch.position.epoch}:${key}`, batch.keys);
      views.set(key, applyView(batch.images, exp.views[name], keyed, exp.spec.data.imageSize));
      keyed.release();
      const ratio = viewPatchMaskRatio(exp.views[name]);
      // So is each sample's patch mask: a sample drops the same patches on any rank, in any
      // batch, and a resumed run masks as the original did.
      if (ratio !== undefined) masks.set(key, { ratio, seed: Rng.derive(exp.spec.seed, `patch-mask:${batch.position.epoch}:${key}`).int(0x7fffffff), keys: batch.keys });
    });
  }
  let text: StepBatch['text'];
  if (exp.slots.some((s) => s.objective.usesText)) {
    const tokens = exp.model.tokenizer!.encode(batch.captions);
    text = {
      ids: tf.tensor2d(tokens.ids, [tokens.batch, tokens.contextLength], 'int32'),
      eot: tf.tensor1d(tokens.eot, 'int32'),
    };
  }
  const momentum = new Map<string, tf.Tensor2D>();
  exp.slots.forEach((slot, i) => {
    if (!slot.ema) return;
    const ema = slot.ema;
    const seen = slot.instances.slice(0, slot.objective.momentumViewCount ?? slot.instances.length);
    const own = new Map(seen.map((key) => [key, views.get(key)!]));
    // tf.tidy keeps tensors returned in arrays, not in Maps: return them in key order.
    const features = tf.tidy(() => {
      const byKey = encodeViews(ema, own, { training: true, masks });
      return [...own.keys()].map((key) => byKey.get(key)!);
    });
    [...own.keys()].forEach((key, k) => momentum.set(`${i}:${key}`, features[k]));
  });
  return { views, masks, text, momentum };
}

export function disposeStepBatch(b: StepBatch): void {
  tf.dispose([...b.views.values(), ...b.momentum.values()]);
  if (b.text) tf.dispose([b.text.ids, b.text.eot]);
}

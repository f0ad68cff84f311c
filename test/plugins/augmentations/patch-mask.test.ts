import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { applyView, evalPipeline, viewImageSize, viewPatchMaskRatio } from '../../../core/data/views';
import { Rng } from '../../../core/random';
import patchMask, { PatchMaskStep } from '../../../plugins/augmentations/patch-mask';
import { RandomResizedCrop } from '../../../plugins/augmentations/random-resized-crop';

describe('augmentation patch-mask (FLIP) and view sizes (multi-crop)', () => {
  it('leaves the pixels alone, declares its ratio to the encoder, and is dropped at evaluation', () => {
    const step = new PatchMaskStep({ ratio: 0.75 });
    const images = tf.randomUniform([2, 4, 4, 3]) as tf.Tensor4D;
    const out = applyView(images, [step], new Rng(0), 4);
    assert.deepEqual(Array.from(out.dataSync()), Array.from(images.dataSync()));
    assert.equal(viewPatchMaskRatio([step]), 0.75);
    assert.deepEqual(evalPipeline([step]), []);
    assert.equal(patchMask.schema.properties && (patchMask.schema.properties as Record<string, { default: number }>).ratio.default, 0.5);
    tf.dispose([images, out]);
  });

  it('rejects a ratio of 1 (no patch left) with its spec path', () => {
    assert.throws(() => new PatchMaskStep({ ratio: 1 }, 'views.clip[2]'), /views\.clip\[2\]\.ratio: must be in \[0, 1\) \(got 1\)/);
  });

  it('keeps a view at its crop’s explicit size (a local crop) and resizes others to the model size', () => {
    const local = [new RandomResizedCrop({ size: 6 }, 12)];
    const global = [new RandomResizedCrop({}, 12)];
    assert.equal(viewImageSize(local, 12), 6);
    assert.equal(viewImageSize(global, 12), 12);
    const images = tf.randomUniform([2, 16, 16, 3]) as tf.Tensor4D;
    const [a, b] = [applyView(images, local, new Rng(1), 12), applyView(images, global, new Rng(1), 12)];
    assert.deepEqual([a.shape, b.shape], [[2, 6, 6, 3], [2, 12, 12, 3]]);
    tf.dispose([images, a, b]);
  });
});

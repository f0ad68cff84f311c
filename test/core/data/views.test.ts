/** applyView / evalPipeline / buildViews on synthetic random images. */
import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import type { Augmentation } from '../../../core/contracts/augmentation';
import { applyView, buildViews, evalPipeline } from '../../../core/data/views';
import type { PluginBlock } from '../../../core/plugins/define';
import { Rng } from '../../../core/random';
import { HorizontalFlip } from '../../../plugins/augmentations/horizontal-flip';
import { Normalize } from '../../../plugins/augmentations/normalize';
import { RandomResizedCrop } from '../../../plugins/augmentations/random-resized-crop';
import { assertFlatTensorCount } from '../../helpers/memory';
import { randomBatch } from '../../plugins/augmentations/helpers';

describe('views', () => {
  const { values, tensor } = randomBatch(3, 10, 10, 2);
  after(() => tensor.dispose());

  it('an empty view gives a new tensor of the input, never the input itself', () => {
    const out = applyView(tensor, [], new Rng(0), 10);
    assert.notEqual(out, tensor);
    assert.deepEqual(out.arraySync(), values);
    out.dispose();
    assert.equal(tensor.isDisposed, false);
  });

  it('always returns [B, imageSize, imageSize, 3], resizing when the pipeline did not', () => {
    const resized = applyView(tensor, [new Normalize()], new Rng(0), 4);
    assert.deepEqual(resized.shape, [3, 4, 4, 3]);
    const cropped = applyView(tensor, [new RandomResizedCrop({}, 6), new HorizontalFlip()], new Rng(0), 6);
    assert.deepEqual(cropped.shape, [3, 6, 6, 3]);
    const recropped = applyView(tensor, [new RandomResizedCrop({}, 8)], new Rng(0), 5);
    assert.deepEqual(recropped.shape, [3, 5, 5, 3]);
    tf.dispose([resized, cropped, recropped]);
  });

  it('is seeded: the same rng state gives the same view', () => {
    const pipeline = [new RandomResizedCrop({}, 6), new HorizontalFlip()];
    const [a, b] = [applyView(tensor, pipeline, new Rng(8), 6), applyView(tensor, pipeline, new Rng(8), 6)];
    assert.deepEqual(a.arraySync(), b.arraySync());
    tf.dispose([a, b]);
  });

  it('keeps no intermediate tensor', async () => {
    const pipeline = [new RandomResizedCrop({}, 6), new HorizontalFlip(), new Normalize()];
    const rng = new Rng(1);
    await assertFlatTensorCount(4, () => applyView(tensor, pipeline, rng, 6).dispose());
  });

  it('evalPipeline keeps only the steps marked appliesAtEval', () => {
    const normalize = new Normalize();
    assert.deepEqual(evalPipeline([new RandomResizedCrop({}, 6), normalize, new HorizontalFlip()]), [normalize]);
  });

  it('buildViews builds every step through the builder, located as views.<name>[i]', () => {
    const calls: string[] = [];
    const builder = {
      build(kind: 'augmentation', block: PluginBlock, path: string): Augmentation {
        calls.push(`${kind} ${block.type} ${path}`);
        return new HorizontalFlip();
      },
    };
    const views = buildViews({ clip: [{ type: 'a' }], ssl: [{ type: 'b' }, { type: 'c' }] }, builder);
    assert.deepEqual(Object.keys(views), ['clip', 'ssl']);
    assert.equal(views.ssl.length, 2);
    assert.deepEqual(calls, ['augmentation a views.clip[0]', 'augmentation b views.ssl[0]', 'augmentation c views.ssl[1]']);
  });
});

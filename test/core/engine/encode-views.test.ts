import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import type { ImageEncoder, ImageEncoderOutput } from '../../../core/contracts/encoders';
import type { NamedVariable } from '../../../core/contracts/trainable';
import { encodeViews } from '../../../core/engine/encode-views';
import { ParamSeeds } from '../../../core/nn/param-seeds';
import { Rng } from '../../../core/random';
import vit, { resolveVitConfig, VisionTransformer, type VitOptions } from '../../../plugins/image-encoders/vit';
import { relativeError } from '../../nn/torch-fixture';
import { withDefaults } from '../../../core/plugins/options';

/** ViT options as the plugin builder passes them: the schema's defaults filled in. */
const vitOptions = (given: Partial<VitOptions>): VitOptions => withDefaults(vit.schema, given);

/**
 * Test encoder: per image, the mean of its pixels minus the batch's mean of those (a batch
 * statistic, as BatchNorm has), and the image size; records the batch size of each call.
 */
class BatchCentredMean implements ImageEncoder {
  readonly featureDim = 2;
  readonly imageSize = 0;
  readonly calls: number[] = [];
  constructor(readonly batchIndependent: boolean) {}
  forward(images: tf.Tensor4D): ImageEncoderOutput {
    this.calls.push(images.shape[0]);
    return {
      pooled: tf.tidy(() => {
        const means = tf.mean(images, [1, 2, 3]);
        const centred = this.batchIndependent ? means : tf.sub(means, tf.mean(means));
        return tf.stack([centred, tf.fill([images.shape[0]], images.shape[1])], 1) as tf.Tensor2D;
      }),
    };
  }
  variables(): NamedVariable[] {
    return [];
  }
}

const rng = new Rng(3);
const images = (batch: number, side: number): tf.Tensor4D =>
  tf.tensor4d(Float32Array.from({ length: batch * side * side * 3 }, () => rng.normal()), [batch, side, side, 3]);

describe('encodeViews (one encoder pass for a step\'s views)', () => {
  it('runs a batch-independent ViT once over three views, with the features of three separate passes', () => {
    const vit = new VisionTransformer(resolveVitConfig(vitOptions({ preset: 'tiny', patchSize: 8, depth: 2, width: 48, heads: 3 }), 16), new ParamSeeds(1, 'test'));
    const views = new Map([['clip#0', images(4, 16)], ['ssl#0', images(4, 16)], ['ssl#1', images(4, 16)]]);
    let calls = 0;
    const forward = vit.forward.bind(vit);
    vit.forward = (x, options) => {
      calls++;
      return forward(x, options);
    };
    tf.tidy(() => {
      const together = encodeViews(vit, views, { training: true });
      assert.equal(calls, 1);
      assert.deepEqual([...together.keys()], ['clip#0', 'ssl#0', 'ssl#1']);
      for (const [key, v] of views) {
        const alone = forward(v, { training: true }).pooled;
        assert.deepEqual(together.get(key)!.shape, alone.shape);
        assert.ok(relativeError(together.get(key)!, alone) < 1e-5, `${key}: ${relativeError(together.get(key)!, alone)}`);
      }
    });
    tf.dispose([...views.values(), ...vit.variables().map((v) => v.variable)]);
  });

  it('groups views by image size, one pass per size, and maps each feature back to its view', () => {
    const encoder = new BatchCentredMean(true);
    const views = new Map([['global#0', images(2, 8)], ['local#0', images(2, 4)], ['global#1', images(2, 8)], ['local#1', images(2, 4)]]);
    tf.tidy(() => {
      const out = encodeViews(encoder, views, { training: true });
      assert.deepEqual(encoder.calls, [4, 4]);
      for (const [key, v] of views) {
        const expected = encoder.forward(v).pooled.arraySync();
        assert.deepEqual(out.get(key)!.arraySync().map((row) => row.map((x) => Math.fround(x))), expected, key);
      }
    });
    tf.dispose([...views.values()]);
  });

  it('gives an encoder with batch statistics one pass per view', () => {
    const encoder = new BatchCentredMean(false);
    const views = new Map([['a#0', images(3, 4)], ['a#1', images(3, 4)]]);
    tf.tidy(() => {
      const out = encodeViews(encoder, views, { training: true });
      assert.deepEqual(encoder.calls, [3, 3]);
      // Centred within its own view: each view's first column sums to zero.
      for (const key of views.keys()) assert.ok(Math.abs(tf.sum(tf.slice(out.get(key)!, [0, 0], [-1, 1])).dataSync()[0]) < 1e-5, key);
    });
    tf.dispose([...views.values()]);
  });
});

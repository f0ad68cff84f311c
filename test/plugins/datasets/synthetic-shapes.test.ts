/**
 * synthetic-shapes (synthetic data, drawn in JS): determinism, sizes, and that every
 * caption is true of its image, checked on the rendered pixels.
 */
import { strict as assert } from 'node:assert';
import type { Sample } from '../../../core/contracts/dataset';
import { SHAPE_COLOURS, makeScene, renderScene, sceneCaptions } from '../../../plugins/datasets/formats/shapes';
import { Rng } from '../../../core/random';
import { SyntheticShapes } from '../../../plugins/datasets/synthetic-shapes';
import { allSamples, loadAll } from './helpers';

function pixelsOf(s: Sample): Uint8Array {
  if (s.image.kind !== 'pixels') throw new Error('synthetic-shapes yields raw pixels');
  return s.image.pixels;
}

describe('synthetic-shapes (synthetic)', () => {
  it('is deterministic by seed and index, for any count and size', async () => {
    const a = await allSamples(new SyntheticShapes({ count: 6, size: 24, seed: 1 }));
    const b = await allSamples(new SyntheticShapes({ count: 6, size: 24, seed: 1 }));
    const c = await allSamples(new SyntheticShapes({ count: 6, size: 24, seed: 2 }));
    assert.equal(a.length, 6);
    assert.deepEqual(a.map(pixelsOf), b.map(pixelsOf));
    assert.deepEqual(a.map((s) => s.captions), b.map((s) => s.captions));
    assert.notDeepEqual(a.map(pixelsOf), c.map(pixelsOf));
    const shuffled = await allSamples(new SyntheticShapes({ count: 6, size: 24, seed: 1 }), 9, 0, true);
    assert.deepEqual(shuffled.map(pixelsOf).sort(), a.map(pixelsOf).sort(), 'shuffling reorders, never redraws');
    const big = await allSamples(new SyntheticShapes({ count: 2, size: 96 }));
    assert.equal(pixelsOf(big[0]).length, 96 * 96 * 3);
  });

  it('captions every scene truthfully: colours at the shape centres, relations by position', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 200; i++) {
      const side = 48;
      const scene = makeScene(rng, side, 2);
      const px = renderScene(scene, side);
      for (const o of scene.objects) {
        const at = (Math.floor(o.cy) * side + Math.floor(o.cx)) * 3;
        assert.deepEqual([...px.subarray(at, at + 3)], [...SHAPE_COLOURS[o.colour]], `scene ${i}: ${o.colour} ${o.shape} centre`);
      }
      const captions = sceneCaptions(scene);
      const [a, b] = scene.objects;
      assert.ok(captions[0].startsWith(`a ${a.size} ${a.colour} ${a.shape}`));
      if (b) {
        const rel = scene.relation!;
        const holds = { 'on the left of': a.cx < b.cx, 'on the right of': a.cx > b.cx, above: a.cy < b.cy, below: a.cy > b.cy }[rel];
        assert.ok(holds, `scene ${i}: "${captions[0]}" but centres (${a.cx},${a.cy}) vs (${b.cx},${b.cy})`);
        assert.ok(captions[1].startsWith(`a ${b.size} ${b.colour} ${b.shape}`));
      }
    }
  });

  it('has compositional captions, shape labels and templates, and loads through the loader', async () => {
    const dataset = new SyntheticShapes({ count: 12, size: 16 });
    const [batch] = await loadAll(dataset, { loadSize: 16 });
    batch.captions.forEach((c) => assert.match(c, /^a (small|large) (red|green|blue|yellow|purple|orange) (circle|square|triangle)/));
    assert.ok(batch.captions.some((c) => / (on the left of|on the right of|above|below) a /.test(c)));
    assert.deepEqual(dataset.classNames, ['circle', 'square', 'triangle']);
    batch.captions.forEach((c, i) => assert.ok(c.includes(dataset.classNames[batch.labels[i]])));
    const single = await allSamples(new SyntheticShapes({ count: 10, size: 16, maxObjects: 1 }));
    single.forEach((s) => assert.ok(!/ (left|right|above|below) /.test(s.captions![0])));
  });
});

/** normalize on synthetic random images; expected values computed in plain JS with float32 rounding. */
import { strict as assert } from 'node:assert';
import normalizePlugin, { NORMALIZE_PRESETS, Normalize } from '../../../plugins/augmentations/normalize';
import { assertNoLeak, randomBatch } from './helpers';

const f = Math.fround;

describe('normalize', () => {
  const { values, tensor } = randomBatch(3, 2, 3, 8);
  after(() => tensor.dispose());

  it('subtracts the ImageNet mean and divides by the std by default', () => {
    const out = new Normalize().apply(tensor);
    const { mean, std } = NORMALIZE_PRESETS.imagenet;
    assert.deepEqual(out.arraySync(), values.map((img) => img.map((row) => row.map((px) => px.map((v, c) => f(f(v - f(mean[c])) / f(std[c])))))));
    out.dispose();
  });

  it('has the CLIP preset, explicit mean/std, and marks itself for evaluation', () => {
    assert.deepEqual(NORMALIZE_PRESETS.clip.mean, [0.48145466, 0.4578275, 0.40821073]);
    assert.deepEqual(NORMALIZE_PRESETS.clip.std, [0.26862954, 0.26130258, 0.27577711]);
    const clip = new Normalize({ preset: 'clip' });
    assert.deepEqual(clip.mean, NORMALIZE_PRESETS.clip.mean);
    const custom = new Normalize({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 1] });
    const out = custom.apply(tensor);
    assert.deepEqual(out.arraySync()[0][0][0], values[0][0][0].map((v, c) => f(f(v - 0.5) / [0.5, 0.25, 1][c])));
    out.dispose();
    assert.equal(clip.appliesAtEval, true);
    assert.throws(() => new Normalize({ std: [1, 0, 1] }), /std must be > 0/);
    assert.equal(normalizePlugin.name, 'normalize');
  });

  it('invert() undoes it (for display)', () => {
    const n = new Normalize({ preset: 'clip' });
    const out = n.apply(tensor);
    const back = n.invert(out);
    const a = back.dataSync();
    const b = tensor.dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6);
    out.dispose();
    back.dispose();
  });

  it('leaks no tensor', () => assertNoLeak(new Normalize(), tensor));
});

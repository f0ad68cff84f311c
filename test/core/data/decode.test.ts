/** Decoding with sharp: real PNG/JPEG/WebP bytes written by sharp in the test. */
import { strict as assert } from 'node:assert';
import sharp from 'sharp';
import { decodeImage, truncation, type DecodeOutcome } from '../../../core/data/decode';
import { NOT_AN_IMAGE, noiseImage, solidImage, truncated } from './helpers/image-files';

function pixels(outcome: DecodeOutcome): Uint8Array {
  if (!outcome.ok) assert.fail(`decode failed: ${outcome.reason}`);
  return outcome.pixels;
}

describe('decodeImage', () => {
  it('resizes by cover: short side to loadSize, centre crop (three vertical bands -> the middle one)', async () => {
    // 60x20: red | green | blue, 20 px each. Cover to 10x10 keeps the middle 20x20: green.
    const raw = Buffer.alloc(60 * 20 * 3);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 60; x++) raw[(y * 60 + x) * 3 + Math.floor(x / 20)] = 255;
    const png = await sharp(raw, { raw: { width: 60, height: 20, channels: 3 } }).png().toBuffer();
    const px = pixels(await decodeImage({ kind: 'encoded', bytes: png }, 10));
    assert.equal(px.length, 10 * 10 * 3);
    for (let y = 0; y < 10; y++) {
      for (let x = 2; x < 8; x++) {
        const [r, g, b] = px.subarray((y * 10 + x) * 3, (y * 10 + x) * 3 + 3);
        assert.ok(r <= 2 && g >= 253 && b <= 2, `(${y},${x}) = ${r},${g},${b}`); // lanczos may bleed a level at the band edge
      }
    }
  });

  it('replicates grey to three channels and drops alpha', async () => {
    const grey = await sharp(Buffer.alloc(16, 77), { raw: { width: 4, height: 4, channels: 1 } }).png().toBuffer();
    assert.ok(pixels(await decodeImage({ kind: 'encoded', bytes: grey }, 4)).every((v) => v === 77));
    const rgba = await sharp({ create: { width: 5, height: 5, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } }).png().toBuffer();
    const px = pixels(await decodeImage({ kind: 'encoded', bytes: rgba }, 5));
    assert.equal(px.length, 75);
    assert.deepEqual([...px.subarray(0, 3)], [10, 20, 30]);
  });

  it('takes raw grey or RGB pixels and reduces 16-bit PNGs to 8 bits', async () => {
    const grey = pixels(await decodeImage({ kind: 'pixels', pixels: new Uint8Array(9).fill(200), width: 3, height: 3, channels: 1 }, 3));
    assert.ok(grey.every((v) => v === 200));
    const wide = await sharp(Buffer.alloc(4 * 4 * 3 * 2, 0xff), { raw: { width: 4, height: 4, channels: 3 } })
      .png({ force: true })
      .toBuffer();
    const deep = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#ff8000' } }).toColourspace('rgb16').png().toBuffer();
    assert.equal((await sharp(deep).metadata()).depth, 'ushort');
    const px = pixels(await decodeImage({ kind: 'encoded', bytes: deep }, 4));
    assert.deepEqual([...px.subarray(0, 3)], [255, 128, 0]);
    assert.ok(pixels(await decodeImage({ kind: 'encoded', bytes: wide }, 2)).length === 12);
  });

  it('decodes JPEG and WebP', async () => {
    for (const format of ['jpeg', 'webp'] as const) {
      const bytes = await solidImage(12, 9, [30, 200, 90], format);
      const px = pixels(await decodeImage({ kind: 'encoded', bytes }, 6));
      for (let i = 0; i < 36; i++) {
        [30, 200, 90].forEach((v, c) => assert.ok(Math.abs(px[i * 3 + c] - v) <= 3, `${format} pixel ${i}: ${px[i * 3 + c]} vs ${v}`));
      }
    }
  });

  it('fails with a reason for truncated, corrupt, empty and mis-sized input, never throws', async () => {
    const jpeg = await noiseImage(32, 32, 1, 'jpeg');
    const png = await noiseImage(32, 32, 2, 'png');
    const webp = await noiseImage(32, 32, 3, 'webp');
    const reasons = await Promise.all([
      decodeImage({ kind: 'encoded', bytes: truncated(jpeg) }, 8),
      decodeImage({ kind: 'encoded', bytes: truncated(png, 0.9) }, 8),
      decodeImage({ kind: 'encoded', bytes: truncated(webp, 0.7) }, 8),
      decodeImage({ kind: 'encoded', bytes: NOT_AN_IMAGE }, 8),
      decodeImage({ kind: 'encoded', bytes: new Uint8Array(0) }, 8),
      decodeImage({ kind: 'pixels', pixels: new Uint8Array(5), width: 3, height: 3, channels: 1 }, 8),
    ]);
    const text = reasons.map((r) => (r.ok ? 'ok' : r.reason));
    assert.match(text[0], /^truncated JPEG: no end-of-image marker \(decoder: .+\)$/);
    assert.match(text[1], /^truncated PNG: no IEND chunk \(decoder: .+\)$/);
    assert.match(text[2], new RegExp(`^truncated WebP: ${Math.floor(webp.length * 0.7)} of ${webp.length} bytes`));
    assert.equal(text[3], 'Input buffer contains unsupported image format');
    assert.equal(text[4], 'empty file');
    assert.equal(text[5], 'raw pixels have 5 bytes, expected 9');
  });

  it('tells a cut file from an intact one by its container', async () => {
    for (const format of ['jpeg', 'png', 'webp'] as const) {
      const whole = await noiseImage(16, 16, 4, format);
      assert.equal(truncation(whole), undefined, format);
      assert.ok(truncation(truncated(whole, 0.8)), format);
    }
    assert.equal(truncation(NOT_AN_IMAGE), undefined);
  });
});

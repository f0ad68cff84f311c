import sharp from 'sharp';
import type { ImageSource } from '../contracts/dataset';

/** An image as sent to a decoder: plain data, safe to post to a worker thread. */
export type DecodeInput =
  | { kind: 'encoded'; bytes: Uint8Array }
  | { kind: 'pixels'; pixels: Uint8Array; width: number; height: number; channels: 1 | 3 };

/** RGB pixels of a loadSize x loadSize image (HWC, uint8), or why the image was unusable. */
export type DecodeOutcome = { ok: true; pixels: Uint8Array } | { ok: false; reason: string };

/**
 * A private copy of a source's bytes, so the buffer can be transferred to a worker
 * without detaching memory the dataset still holds (a slice of an IDX file, a tar chunk).
 */
export function toDecodeInput(source: ImageSource): DecodeInput {
  if (source.kind === 'encoded') return { kind: 'encoded', bytes: source.bytes.slice() };
  const { width, height, channels } = source;
  return { kind: 'pixels', pixels: source.pixels.slice(), width, height, channels };
}

/** Buffers a decode input owns, to transfer rather than copy when posting it. */
export function transferList(input: DecodeInput): ArrayBuffer[] {
  const view = input.kind === 'encoded' ? input.bytes : input.pixels;
  return [view.buffer as ArrayBuffer];
}

/**
 * Decodes (or takes raw pixels), orients by EXIF, drops alpha, converts to 8-bit sRGB
 * (grey is replicated to three channels) and resizes to loadSize x loadSize by "cover":
 * the short side to loadSize, then a centre crop. Truncated or corrupt files fail with
 * sharp's reason (failOn 'warning', the setting sharp recommends for untrusted input).
 */
export async function decodeImage(input: DecodeInput, loadSize: number): Promise<DecodeOutcome> {
  try {
    if (input.kind === 'pixels') {
      const expected = input.width * input.height * input.channels;
      if (input.pixels.length !== expected) {
        return { ok: false, reason: `raw pixels have ${input.pixels.length} bytes, expected ${expected}` };
      }
    } else if (input.bytes.length === 0) {
      return { ok: false, reason: 'empty file' };
    }
    const image =
      input.kind === 'encoded'
        ? sharp(input.bytes, { failOn: 'warning', autoOrient: true })
        : sharp(input.pixels, { raw: { width: input.width, height: input.height, channels: input.channels } });
    const { data, info } = await image
      .removeAlpha()
      .toColourspace('srgb')
      .resize(loadSize, loadSize, { fit: 'cover', position: 'centre' })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== loadSize || info.height !== loadSize) {
      return { ok: false, reason: `decoder produced ${info.width}x${info.height}x${info.channels}, expected ${loadSize}x${loadSize}x3` };
    }
    // A fresh, transferable copy: sharp's output buffer may be external memory that cannot be moved between threads.
    return { ok: true, pixels: new Uint8Array(data) };
  } catch (err) {
    const message = (err as Error).message || String(err);
    const details = input.kind === 'encoded' ? (await decoderWarnings(input.bytes)).filter((w) => !message.includes(w)) : [];
    return { ok: false, reason: details.length > 0 ? `${message} (${details.join('; ')})` : message };
  }
}

/** libvips' own summaries ("read gave 2 warnings", "error in tile 0 x 8") that say nothing about the file. */
const UNINFORMATIVE = /^(read gave \d+ warnings?|error in tile \d+ x \d+)$/;

/**
 * What libvips complains about when it decodes the bytes leniently. When decodes run
 * concurrently, the error failOn raises can be the generic "Warning treated as error"
 * (libvips' error buffer is shared); the per-image warnings still say what was wrong
 * ("premature end of JPEG image"), so a failed decode is retried once, only to ask.
 */
async function decoderWarnings(bytes: Uint8Array): Promise<string[]> {
  const warnings: string[] = [];
  const probe = sharp(bytes, { failOn: 'none' });
  probe.on('warning', (w: unknown) => warnings.push(String(w).trim()));
  await probe.raw().toBuffer().catch(() => undefined);
  return [...new Set(warnings)].filter((w) => w.length > 0 && !UNINFORMATIVE.test(w));
}

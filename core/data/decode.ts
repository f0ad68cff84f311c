import sharp from 'sharp';
import type { ImageSource } from '../contracts/dataset';

/** An image as sent to a decoder: plain data, safe to post to a worker thread. */
export type DecodeInput =
  | { kind: 'encoded'; bytes: Uint8Array }
  | { kind: 'pixels'; pixels: Uint8Array; width: number; height: number; channels: 1 | 3 };

/**
 * The most pixels (width × height, as the file declares them) an image may have: sharp refuses
 * larger ones before decoding, so a small file declaring a huge canvas (a decompression bomb)
 * is a bad sample, not an out-of-memory. sharp's own default, named here so the rule is visible.
 */
export const MAX_INPUT_PIXELS = 0x3fff * 0x3fff;

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
        ? sharp(input.bytes, { failOn: 'warning', autoOrient: true, limitInputPixels: MAX_INPUT_PIXELS })
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
    let message = ((err as Error).message || String(err)).trim().replace(/\s*\n\s*/g, '; ');
    if (/pixel limit/i.test(message)) message = `more than ${MAX_INPUT_PIXELS} pixels declared, refused before decoding (${message})`;
    const cut = input.kind === 'encoded' ? truncation(input.bytes) : undefined;
    return { ok: false, reason: cut ? `${cut} (decoder: ${message})` : message };
  }
}

const startsWith = (bytes: Uint8Array, prefix: number[]): boolean => prefix.every((b, i) => bytes[i] === b);
const ascii = (bytes: Uint8Array, from: number, to: number): string => String.fromCharCode(...bytes.subarray(from, to));

/**
 * Whether a file that failed to decode was cut short, told from its container: a JPEG
 * without its end-of-image marker, a PNG without its IEND chunk, a WebP shorter than its
 * RIFF header says, a GIF without its trailer. libvips' own message for these depends on
 * what else it decodes at the same moment (its error buffer is shared between threads),
 * so the reason is read from the bytes, which always say the same.
 */
export function truncation(bytes: Uint8Array): string | undefined {
  const n = bytes.length;
  if (startsWith(bytes, [0xff, 0xd8])) {
    let end = n;
    while (end > 2 && bytes[end - 1] === 0) end--; // some writers pad with zeros after EOI
    return bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9 ? undefined : 'truncated JPEG: no end-of-image marker';
  }
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) {
    return n >= 12 && ascii(bytes, n - 8, n - 4) === 'IEND' ? undefined : 'truncated PNG: no IEND chunk';
  }
  if (n >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') {
    const declared = 8 + (bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24));
    return n < declared ? `truncated WebP: ${n} of ${declared} bytes` : undefined;
  }
  if (ascii(bytes, 0, 3) === 'GIF') return bytes[n - 1] === 0x3b ? undefined : 'truncated GIF: no trailer';
  return undefined;
}

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';

/** Real image files for the data tests, written with sharp into a fresh temporary folder. */
export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `slipkit-${label}-`));
}

export type Rgb = [number, number, number];
export type ImageFormat = 'jpeg' | 'png' | 'webp';

/** A solid-colour image encoded as `format`. */
export function solidImage(width: number, height: number, rgb: Rgb, format: ImageFormat): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .toFormat(format)
    .toBuffer();
}

/** A noisy image (pseudo-random pixels from `seed`), so JPEG files have realistic entropy. */
export function noiseImage(width: number, height: number, seed: number, format: ImageFormat): Promise<Buffer> {
  const px = Buffer.alloc(width * height * 3);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < px.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    px[i] = s & 0xff;
  }
  return sharp(px, { raw: { width, height, channels: 3 } }).toFormat(format).toBuffer();
}

/** The first `fraction` of a file, as a download cut short leaves it. */
export function truncated(bytes: Buffer, fraction = 0.5): Buffer {
  return bytes.subarray(0, Math.floor(bytes.length * fraction));
}

/** Bytes that are no image format at all. */
export const NOT_AN_IMAGE = Buffer.from('this is a text file pretending to be a JPEG\n');

/** Writes `bytes` to root/relative, creating folders. */
export function writeFile(root: string, relative: string, bytes: Buffer | string): string {
  const file = path.join(root, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  return file;
}

import * as fs from 'node:fs';
import { DataError } from '../../../core/toolkit';

/** Images of an IDX3 file (the MNIST format): count x rows x cols uint8 pixels, row-major. */
export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

function read(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new DataError(`cannot read IDX file: ${(err as Error).message}`, file);
  }
}

/** Parses an IDX3 uint8 image file (magic 0x00000803), checking its header against its length. */
export function readIdxImages(file: string): IdxImages {
  const buf = read(file);
  if (buf.length < 16 || buf.readUInt32BE(0) !== IMAGES_MAGIC) {
    throw new DataError('not an IDX3 uint8 image file (bad magic number)', file, 'header');
  }
  const count = buf.readUInt32BE(4);
  const rows = buf.readUInt32BE(8);
  const cols = buf.readUInt32BE(12);
  const expected = 16 + count * rows * cols;
  if (buf.length !== expected) {
    throw new DataError(`file has ${buf.length} bytes, the header promises ${expected}`, file, 'header');
  }
  return { count, rows, cols, pixels: new Uint8Array(buf.buffer, buf.byteOffset + 16, count * rows * cols) };
}

/** Parses an IDX1 uint8 label file (magic 0x00000801). */
export function readIdxLabels(file: string): Uint8Array {
  const buf = read(file);
  if (buf.length < 8 || buf.readUInt32BE(0) !== LABELS_MAGIC) {
    throw new DataError('not an IDX1 uint8 label file (bad magic number)', file, 'header');
  }
  const count = buf.readUInt32BE(4);
  if (buf.length !== 8 + count) throw new DataError(`file has ${buf.length} bytes, the header promises ${8 + count}`, file, 'header');
  return new Uint8Array(buf.buffer, buf.byteOffset + 8, count);
}

import * as fs from 'node:fs';
import { halfBitsToFloat32 } from './half-float';

/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__:
 * {string: string}}, then the raw little-endian tensor bytes. slipkit writes F32 and I32; it
 * also reads F16 and BF16 (how open_clip and timm checkpoints are often published), widened to F32.
 */
export type SafeDtype = 'F32' | 'I32';

export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface SafeFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

export function encodeSafetensors(tensors: ReadonlyMap<string, SafeTensor>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (expected !== t.data.length) throw new Error(`tensor "${name}": shape [${t.shape}] needs ${expected} values, has ${t.data.length}`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keep the data 8-byte aligned, as the reference writer does
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, pos);
    pos += d.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Buffer, origin = 'safetensors'): SafeFile {
  if (bytes.length < 8) throw new Error(`${origin}: file too short for a safetensors header`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (8 + headerLength > bytes.length) throw new Error(`${origin}: header length ${headerLength} exceeds the file size`);
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
  const base = 8 + headerLength;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: [begin, end] } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== 'F32' && dtype !== 'I32' && dtype !== 'F16' && dtype !== 'BF16') throw new Error(`${origin}: tensor "${name}" has unsupported dtype ${dtype}`);
    if (base + end > bytes.length) throw new Error(`${origin}: tensor "${name}" runs past the end of the file (truncated?)`);
    if (dtype === 'F16' || dtype === 'BF16') {
      tensors.set(name, { dtype: 'F32', shape, data: halfBitsToFloat32(bytes.subarray(base + begin, base + end), dtype) });
      continue;
    }
    const copy = new ArrayBuffer(end - begin); // aligned copy: typed arrays need 4-byte alignment
    new Uint8Array(copy).set(bytes.subarray(base + begin, base + end));
    tensors.set(name, { dtype, shape, data: dtype === 'F32' ? new Float32Array(copy) : new Int32Array(copy) });
  }
  return { tensors, metadata };
}

export function readSafetensors(file: string): SafeFile {
  return decodeSafetensors(fs.readFileSync(file), file);
}

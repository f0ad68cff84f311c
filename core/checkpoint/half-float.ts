/**
 * 16-bit floats (IEEE half, or bfloat16) as little-endian bytes, widened to float32 exactly.
 * Node 20 has no Float16Array, so half precision is decoded bit by bit.
 */
export function halfBitsToFloat32(bytes: Uint8Array, dtype: 'F16' | 'BF16'): Float32Array {
  const count = bytes.length >> 1;
  const out = new Float32Array(count);
  if (dtype === 'BF16') {
    // bfloat16 is the top half of a float32.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = (bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16;
    return out;
  }
  for (let i = 0; i < count; i++) {
    const h = bytes[2 * i] | (bytes[2 * i + 1] << 8);
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) out[i] = sign * fraction * 2 ** -24; // subnormal (and zero)
    else if (exponent === 0x1f) out[i] = fraction ? NaN : sign * Infinity;
    else out[i] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return out;
}

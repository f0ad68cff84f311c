import * as tf from '@tensorflow/tfjs';

/**
 * Bicubic resampling of a ViT's learned position embedding to another patch grid, so that one
 * model encodes crops of several sizes (multi-crop) — what timm's resample_abs_pos_embed does
 * with torch.nn.functional.interpolate(mode='bicubic', align_corners=False). tfjs has no
 * bicubic resize, so each axis gets an [out, in] weight matrix computed here, the same weights
 * PyTorch's kernels use, and the grid is resampled by two matMuls (differentiable, so the
 * embedding keeps training through every size):
 *   - antialias (timm's default): PyTorch's _upsample_bicubic2d_aa (PIL's filter): the cubic
 *     kernel with a = −0.5, stretched by the scale when shrinking, taps cut at the border and
 *     renormalised;
 *   - plain (DINO's interpolate_pos_encoding): the cubic convolution with A = −0.75 on the four
 *     nearest taps, indices clamped at the border.
 */

/** Keys's cubic kernel with parameter a (PyTorch: −0.75 plain, −0.5 antialiased). */
function cubic(x: number, a: number): number {
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** Row i holds the weights of output i over the inputs: [outSize, inSize], row-major. */
export function bicubicWeights(inSize: number, outSize: number, antialias: boolean): Float32Array {
  if (!(Number.isInteger(inSize) && Number.isInteger(outSize) && inSize >= 1 && outSize >= 1)) {
    throw new RangeError(`bicubicWeights: sizes must be integers >= 1, got ${inSize} → ${outSize}`);
  }
  const w = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const row = i * inSize;
    if (antialias) {
      const support = 2 * Math.max(scale, 1);
      const invScale = scale >= 1 ? 1 / scale : 1;
      const center = scale * (i + 0.5);
      const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
      const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
      let total = 0;
      const taps: number[] = [];
      for (let j = xmin; j < xmax; j++) {
        const v = cubic((j - center + 0.5) * invScale, -0.5);
        taps.push(v);
        total += v;
      }
      taps.forEach((v, k) => (w[row + xmin + k] += total !== 0 ? v / total : 0));
    } else {
      const src = scale * (i + 0.5) - 0.5;
      const base = Math.floor(src);
      const t = src - base;
      const coeffs = [cubic(t + 1, -0.75), cubic(t, -0.75), cubic(1 - t, -0.75), cubic(2 - t, -0.75)];
      coeffs.forEach((c, k) => {
        const j = Math.min(Math.max(base - 1 + k, 0), inSize - 1);
        w[row + j] += c;
      });
    }
  }
  return w;
}

/**
 * A position embedding [1, prefix + gh·gw, W] (class token first, then the grid row by row)
 * for a grid of [outH, outW] patches: the prefix tokens as they are, the grid resampled.
 * Returns `posEmbed` itself when the grid is unchanged.
 */
export function resamplePosEmbed(posEmbed: tf.Tensor3D, grid: [number, number], newGrid: [number, number], options: { prefixTokens?: number; antialias?: boolean } = {}): tf.Tensor3D {
  const prefix = options.prefixTokens ?? 1;
  const [gh, gw] = grid;
  const [oh, ow] = newGrid;
  const width = posEmbed.shape[2];
  if (posEmbed.shape[1] !== prefix + gh * gw) {
    throw new RangeError(`resamplePosEmbed: ${posEmbed.shape[1]} tokens do not make ${prefix} prefix tokens and a ${gh}×${gw} grid`);
  }
  if (gh === oh && gw === ow) return posEmbed;
  const antialias = options.antialias ?? true;
  return tf.tidy(() => {
    const rows = tf.tensor2d(bicubicWeights(gh, oh, antialias), [oh, gh]);
    const cols = tf.tensor2d(bicubicWeights(gw, ow, antialias), [ow, gw]);
    const gridPart = tf.reshape(tf.slice(posEmbed, [0, prefix, 0], [1, -1, -1]), [gh, gw * width]);
    const byRows = tf.reshape(tf.matMul(rows, gridPart), [oh, gw, width]); // [oh, gw, W]
    const colsFirst = tf.reshape(tf.transpose(byRows, [1, 0, 2]), [gw, oh * width]);
    const byCols = tf.reshape(tf.matMul(cols, colsFirst), [ow, oh, width]); // [ow, oh, W]
    const resampled = tf.reshape(tf.transpose(byCols, [1, 0, 2]), [1, oh * ow, width]);
    if (prefix === 0) return resampled as tf.Tensor3D;
    return tf.concat([tf.slice(posEmbed, [0, 0, 0], [1, prefix, -1]), resampled], 1) as tf.Tensor3D;
  });
}

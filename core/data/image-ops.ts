/**
 * Batched image operations on float32 NHWC tensors in [0, 1], with per-sample parameters
 * as [n, 1, 1, 1] tensors. The colour maths follows torchvision's tensor functional
 * implementation (rgb_to_grayscale, _blend, _rgb2hsv, _hsv2rgb, gaussian kernels), so
 * augmentations behave as the SLIP and MoCo v3 recipes expect. Only ops that every tfjs
 * backend supports (cpu, wasm, webgl, webgpu) are used; callers wrap them in tf.tidy.
 */
import * as tf from '@tensorflow/tfjs';

/** ITU-R 601-2 luma weights, as torchvision's rgb_to_grayscale uses. */
export const LUMA_WEIGHTS = [0.2989, 0.587, 0.114] as const;

/** Per-sample scalars as a [n, 1, 1, 1] tensor that broadcasts over an NHWC batch. */
export function perSample(values: ArrayLike<number>): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(values), [values.length, 1, 1, 1]);
}

/** Luma of an RGB batch, [n, h, w, 1]. */
export function grayscale(images: tf.Tensor4D): tf.Tensor4D {
  const [r, g, b] = tf.split(images, 3, 3);
  return r.mul(LUMA_WEIGHTS[0]).add(g.mul(LUMA_WEIGHTS[1])).add(b.mul(LUMA_WEIGHTS[2])) as tf.Tensor4D;
}

/** torchvision `_blend`: ratio * a + (1 - ratio) * b, clamped to [0, 1]. */
export function blend(a: tf.Tensor4D, b: tf.Tensor, ratio: tf.Tensor4D): tf.Tensor4D {
  return ratio.mul(a).add(tf.scalar(1).sub(ratio).mul(b)).clipByValue(0, 1) as tf.Tensor4D;
}

export function adjustBrightness(images: tf.Tensor4D, factors: tf.Tensor4D): tf.Tensor4D {
  return images.mul(factors).clipByValue(0, 1) as tf.Tensor4D;
}

/** Blends each image with the mean of its own luma. */
export function adjustContrast(images: tf.Tensor4D, factors: tf.Tensor4D): tf.Tensor4D {
  const mean = grayscale(images).mean([1, 2, 3], true);
  return blend(images, mean, factors);
}

/** Blends each image with its luma (replicated over the channels by broadcasting). */
export function adjustSaturation(images: tf.Tensor4D, factors: tf.Tensor4D): tf.Tensor4D {
  return blend(images, grayscale(images), factors);
}

/** Rotates hue by `shifts` (fractions of a turn, in [-0.5, 0.5]) through HSV. */
export function adjustHue(images: tf.Tensor4D, shifts: tf.Tensor4D): tf.Tensor4D {
  const [h, s, v] = rgbToHsv(images);
  return hsvToRgb(tf.mod(h.add(shifts), 1) as tf.Tensor4D, s, v);
}

/** torchvision `_rgb2hsv`; each of h, s, v is [n, h, w, 1] with h in [0, 1). */
export function rgbToHsv(images: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const [r, g, b] = tf.split(images, 3, 3) as tf.Tensor4D[];
  const maxc = images.max(3, true) as tf.Tensor4D;
  const minc = images.min(3, true) as tf.Tensor4D;
  const eqc = maxc.equal(minc);
  const cr = maxc.sub(minc);
  const ones = tf.onesLike(maxc);
  const s = cr.div(tf.where(eqc, ones, maxc)) as tf.Tensor4D;
  const crDivisor = tf.where(eqc, ones, cr);
  const rc = maxc.sub(r).div(crDivisor);
  const gc = maxc.sub(g).div(crDivisor);
  const bc = maxc.sub(b).div(crDivisor);
  const isR = maxc.equal(r);
  const isG = maxc.equal(g).logicalAnd(isR.logicalNot());
  const isB = maxc.notEqual(g).logicalAnd(isR.logicalNot());
  const hr = isR.cast('float32').mul(bc.sub(gc));
  const hg = isG.cast('float32').mul(rc.sub(bc).add(2));
  const hb = isB.cast('float32').mul(gc.sub(rc).add(4));
  const h = tf.mod(hr.add(hg).add(hb).div(6).add(1), 1) as tf.Tensor4D;
  return [h, s, maxc];
}

/** torchvision `_hsv2rgb` (the sector of h picks which of v, p, q, t feeds each channel). */
export function hsvToRgb(h: tf.Tensor4D, s: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D {
  const h6 = h.mul(6);
  const i = tf.floor(h6);
  const f = h6.sub(i);
  const sector = tf.mod(i.cast('int32'), 6);
  const p = v.mul(tf.scalar(1).sub(s)).clipByValue(0, 1);
  const q = v.mul(tf.scalar(1).sub(s.mul(f))).clipByValue(0, 1);
  const t = v.mul(tf.scalar(1).sub(s.mul(tf.scalar(1).sub(f)))).clipByValue(0, 1);
  const pick = (bySector: tf.Tensor[]): tf.Tensor => {
    let out = bySector[5];
    for (let k = 4; k >= 0; k--) out = tf.where(sector.equal(k), bySector[k], out);
    return out;
  };
  const red = pick([v, q, p, p, t, v]);
  const green = pick([t, v, v, q, p, p]);
  const blue = pick([p, p, t, v, v, q]);
  return tf.concat([red, green, blue], 3) as tf.Tensor4D;
}

/** torchvision's 1-D gaussian kernel: exp(-x²/2σ²) on x = -(k-1)/2 … (k-1)/2, normalised to sum 1. */
export function gaussianKernel1d(kernelSize: number, sigma: number): Float32Array {
  const half = (kernelSize - 1) / 2;
  const out = new Float32Array(kernelSize);
  let sum = 0;
  for (let i = 0; i < kernelSize; i++) {
    const x = -half + i;
    const v = Math.exp(-0.5 * (x / sigma) ** 2);
    out[i] = v;
    sum += v;
  }
  for (let i = 0; i < kernelSize; i++) out[i] /= sum;
  return out;
}

/**
 * Separable convolution with a different 1-D kernel per image (reflect padding, as
 * torchvision's gaussian_blur): the batch is folded into channels, [1, h, w, n*3], so one
 * depthwise convolution per axis blurs every image with its own kernel.
 * `kernels` holds n kernels of `kernelSize` taps, image after image.
 */
export function separableConvPerSample(images: tf.Tensor4D, kernels: Float32Array, kernelSize: number): tf.Tensor4D {
  const [n, height, width, channels] = images.shape;
  const pad = (kernelSize - 1) / 2;
  const folded = images.transpose([1, 2, 0, 3]).reshape([1, height, width, n * channels]) as tf.Tensor4D;
  const taps = new Float32Array(kernelSize * n * channels); // filter layout [k, n*c] for depthwise [k, 1, n*c, 1]
  for (let k = 0; k < kernelSize; k++) {
    for (let img = 0; img < n; img++) {
      for (let c = 0; c < channels; c++) taps[k * n * channels + img * channels + c] = kernels[img * kernelSize + k];
    }
  }
  const horizontal = tf.tensor4d(taps, [1, kernelSize, n * channels, 1]);
  const vertical = tf.tensor4d(taps, [kernelSize, 1, n * channels, 1]);
  const paddedW = tf.mirrorPad(folded, [[0, 0], [0, 0], [pad, pad], [0, 0]], 'reflect');
  const blurredW = tf.depthwiseConv2d(paddedW, horizontal, 1, 'valid');
  const paddedH = tf.mirrorPad(blurredW, [[0, 0], [pad, pad], [0, 0], [0, 0]], 'reflect');
  const blurred = tf.depthwiseConv2d(paddedH, vertical, 1, 'valid');
  return blurred.reshape([height, width, n, channels]).transpose([2, 0, 1, 3]) as tf.Tensor4D;
}

/** A transform applied to some images of a batch; `positions` are their indices in the batch. */
export interface SampleGroup {
  positions: number[];
  transform: (subset: tf.Tensor4D, positions: number[]) => tf.Tensor4D;
}

/**
 * Applies each group's transform to its own images and passes the rest through unchanged
 * (bit for bit). Groups must be disjoint and keep the image shape. Each group is gathered
 * and transformed as one smaller batch; one gather then puts every image back in order.
 */
export function applyGroups(images: tf.Tensor4D, groups: readonly SampleGroup[]): tf.Tensor4D {
  const n = images.shape[0];
  const active = groups.filter((g) => g.positions.length > 0);
  if (active.length === 0) return images.clone();
  if (active.length === 1 && active[0].positions.length === n && active[0].positions.every((p, i) => p === i)) {
    return active[0].transform(images, active[0].positions);
  }
  const source = new Int32Array(n);
  for (let i = 0; i < n; i++) source[i] = i;
  const parts: tf.Tensor4D[] = [images];
  let offset = n;
  for (const group of active) {
    const subset = tf.gather(images, tf.tensor1d(group.positions, 'int32')) as tf.Tensor4D;
    parts.push(group.transform(subset, group.positions));
    group.positions.forEach((p, k) => (source[p] = offset + k));
    offset += group.positions.length;
  }
  return tf.gather(tf.concat(parts, 0), tf.tensor1d(source, 'int32')) as tf.Tensor4D;
}

/** applyGroups with one transform for the images whose flag is set. */
export function applyToSelected(
  images: tf.Tensor4D,
  selected: readonly boolean[],
  transform: (subset: tf.Tensor4D, positions: number[]) => tf.Tensor4D,
): tf.Tensor4D {
  const positions: number[] = [];
  selected.forEach((on, i) => {
    if (on) positions.push(i);
  });
  return applyGroups(images, [{ positions, transform }]);
}

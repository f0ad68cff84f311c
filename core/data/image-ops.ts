/**
 * Batched image operations on float32 NHWC tensors in [0, 1], with one parameter per image.
 * The colour maths follows torchvision's tensor functional implementation (rgb_to_grayscale,
 * _blend, _rgb2hsv, _hsv2rgb, gaussian kernels), so augmentations behave as the SLIP and
 * MoCo v3 recipes expect. Only ops that every tfjs backend supports (cpu, wasm, webgl,
 * webgpu) are used, shaped for speed on each (see perImage, perPixel, selectTransformed);
 * callers wrap them in tf.tidy.
 */
import * as tf from '@tensorflow/tfjs';

/** ITU-R 601-2 luma weights, as torchvision's rgb_to_grayscale uses. */
export const LUMA_WEIGHTS = [0.2989, 0.587, 0.114] as const;

/**
 * One value per image, shaped to multiply an image batch of `shape`. On the pure-JS cpu
 * backend it is spread over the whole image in JavaScript, because binary ops that
 * broadcast a [n, 1, 1, 1] tensor run about ten times slower there than same-shape ones;
 * elsewhere broadcasting is fast and uploading a full-size tensor is not, so it stays
 * [n, 1, 1, 1].
 */
function perImage(values: readonly number[], shape: readonly number[]): tf.Tensor4D {
  const [n, h, w, c] = shape;
  if (tf.getBackend() !== 'cpu') return tf.tensor4d(Float32Array.from(values), [n, 1, 1, 1]);
  const per = h * w * c;
  const data = new Float32Array(n * per);
  values.forEach((v, i) => data.fill(v, i * per, (i + 1) * per));
  return tf.tensor4d(data, [n, h, w, c]);
}

/**
 * Applies a [3, k] matrix to every pixel's RGB vector: one matMul over all pixels, which
 * every backend runs fast (slicing the channel axis apart is slow on cpu and wasm).
 */
function perPixel(images: tf.Tensor4D, matrix: number[][], bias?: number[]): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  const k = matrix[0].length;
  let out = images.reshape([n * h * w, c]).matMul(tf.tensor2d(matrix, [c, k]));
  if (bias) out = out.add(tf.tensor1d(bias));
  return out.reshape([n, h, w, k]) as tf.Tensor4D;
}

/** A [n, h, w, 1] tensor copied to three channels (a matMul by [1, 1, 1]: exact, and fast everywhere). */
function toThreeChannels(single: tf.Tensor4D, scale = 1, bias?: number[]): tf.Tensor4D {
  return perPixel(single, [[scale, scale, scale]], bias);
}

/** Luma of an RGB batch replicated over three channels, [n, h, w, 3] (rgb_to_grayscale with 3 output channels). */
export function grayscale(images: tf.Tensor4D): tf.Tensor4D {
  const [r, g, b] = LUMA_WEIGHTS;
  return perPixel(images, [
    [r, r, r],
    [g, g, g],
    [b, b, b],
  ]);
}

/** torchvision `_blend` with a per-image ratio: ratio * a + (1 - ratio) * b, clamped to [0, 1]. */
function blend(a: tf.Tensor4D, b: tf.Tensor, ratios: readonly number[]): tf.Tensor4D {
  const ratio = perImage(ratios, a.shape);
  return ratio.mul(a).add(tf.scalar(1).sub(ratio).mul(b)).clipByValue(0, 1) as tf.Tensor4D;
}

export function adjustBrightness(images: tf.Tensor4D, factors: readonly number[]): tf.Tensor4D {
  return images.mul(perImage(factors, images.shape)).clipByValue(0, 1) as tf.Tensor4D;
}

/** Blends each image with the mean of its own luma. */
export function adjustContrast(images: tf.Tensor4D, factors: readonly number[]): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  const means = grayscale(images).mean([1, 2, 3], true) as tf.Tensor4D;
  // Spread to full size on the cpu backend (see perImage): a [n, 1] x [1, h·w·c] matMul.
  const meanImages = tf.getBackend() === 'cpu' ? (means.reshape([n, 1]).matMul(tf.ones([1, h * w * c])).reshape([n, h, w, c]) as tf.Tensor4D) : means;
  return blend(images, meanImages, factors);
}

/** Blends each image with its luma. */
export function adjustSaturation(images: tf.Tensor4D, factors: readonly number[]): tf.Tensor4D {
  return blend(images, grayscale(images), factors);
}

/** Rotates each image's hue by its shift (a fraction of a turn, in [-0.5, 0.5]) through HSV. */
export function adjustHue(images: tf.Tensor4D, shifts: readonly number[]): tf.Tensor4D {
  const [h, s, v] = rgbToHsv(images);
  return hsvToRgb(tf.mod(h.add(perImage(shifts, h.shape)), 1) as tf.Tensor4D, s, v);
}

/** One value per pixel from its RGB vector: a [3, 1] matMul (a channel slice is slow on cpu and wasm). */
function channelMix(images: tf.Tensor4D, r: number, g: number, b: number): tf.Tensor4D {
  return perPixel(images, [[r], [g], [b]]);
}

/**
 * torchvision `_rgb2hsv`; each of h, s, v is [n, h, w, 1] with h in [0, 1). The hue is
 * (g - b)/cr where red holds the maximum, else 2 + (b - r)/cr where green does, else
 * 4 + (r - g)/cr: torchvision's bc - gc, 2 + rc - bc and 4 + gc - rc, with red before
 * green before blue on ties. Only single-channel comparisons and selects are used, which
 * are fast on every backend (broadcast comparisons and bool casts are slow on wasm).
 */
export function rgbToHsv(images: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const maxc = images.max(3, true) as tf.Tensor4D;
  const minc = images.min(3, true) as tf.Tensor4D;
  const eqc = maxc.equal(minc);
  const cr = maxc.sub(minc);
  const ones = tf.onesLike(maxc);
  const s = cr.div(tf.where(eqc, ones, maxc)) as tf.Tensor4D;
  const divisor = tf.where(eqc, ones, cr);
  const red = channelMix(images, 1, 0, 0);
  const green = channelMix(images, 0, 1, 0);
  const fromRed = channelMix(images, 0, 1, -1).div(divisor);
  const fromGreen = channelMix(images, -1, 0, 1).div(divisor).add(2);
  const fromBlue = channelMix(images, 1, -1, 0).div(divisor).add(4);
  const raw = tf.where(maxc.equal(red), fromRed, tf.where(maxc.equal(green), fromGreen, fromBlue));
  const h = tf.mod(raw.div(6).add(1), 1) as tf.Tensor4D;
  return [h, s, maxc];
}

/**
 * torchvision `_hsv2rgb` in closed form: channel c = v·(1 - s·clamp(min(k, 4 - k), 0, 1))
 * with k = (n_c + 6h) mod 6 and n = (5, 3, 1) for (r, g, b), which gives exactly the
 * sector table of v, p = v(1-s), q = v(1-sf), t = v(1-s(1-f)).
 */
export function hsvToRgb(h: tf.Tensor4D, s: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D {
  const k = tf.mod(toThreeChannels(h, 6, [5, 3, 1]), 6);
  const ramp = tf.minimum(k, tf.scalar(4).sub(k)).clipByValue(0, 1);
  return toThreeChannels(v).sub(toThreeChannels(v.mul(s)).mul(ramp)) as tf.Tensor4D;
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

/**
 * Computes `transform` on the whole batch and keeps its result only for the selected
 * images (bit for bit the input elsewhere). Measured against gathering the selected images
 * apart and merging them back, this is faster for every augmentation here on wasm and
 * tensorflow (gathers are slow on wasm); the mask is built full-size in JavaScript since a
 * broadcast select is slow on wasm too.
 */
export function selectTransformed(
  images: tf.Tensor4D,
  selected: readonly boolean[],
  transform: (images: tf.Tensor4D) => tf.Tensor4D,
): tf.Tensor4D {
  const count = selected.filter(Boolean).length;
  if (count === 0) return images.clone();
  if (count === selected.length) return transform(images);
  const [n, h, w, c] = images.shape;
  const per = h * w * c;
  const mask = new Uint8Array(n * per);
  selected.forEach((on, i) => on && mask.fill(1, i * per, (i + 1) * per));
  return tf.where(tf.tensor4d(mask, [n, h, w, c], 'bool'), transform(images), images) as tf.Tensor4D;
}

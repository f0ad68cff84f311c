import * as tf from '@tensorflow/tfjs';
import type { ImageEncoder, PatchMask } from '../contracts/encoders';

/**
 * Pooled features of every view, keyed as the views are.
 *
 * A batch-independent encoder (see ImageEncoder.batchIndependent) gets the views of each
 * image size as one concatenated batch, so SLIP's three image passes per step become one:
 * a third of the kernel launches (tfjs dispatches each op separately, ~50–80 µs each on the
 * native backend) over tensors three times as large. Any other encoder gets one call per
 * view, since its batch statistics would otherwise mix the views. Views of different sizes
 * (multi-crop's global and local crops) make one pass per size.
 */
export function encodeViews(
  encoder: ImageEncoder,
  views: ReadonlyMap<string, tf.Tensor4D>,
  options: { training: boolean; masks?: ReadonlyMap<string, PatchMask> },
): Map<string, tf.Tensor2D> {
  const out = new Map<string, tf.Tensor2D>();
  const { masks, ...forwardOptions } = options;
  // A masked view (FLIP) is encoded on its own: its kept tokens are its own shuffle's.
  for (const [key, images] of views) {
    const patchMask = masks?.get(key);
    if (patchMask) out.set(key, encoder.forward(images, { ...forwardOptions, patchMask }).pooled);
  }
  const unmasked = new Map([...views].filter(([key]) => !out.has(key)));
  if (!encoder.batchIndependent) {
    for (const [key, images] of unmasked) out.set(key, encoder.forward(images, forwardOptions).pooled);
    return out;
  }
  for (const keys of groupBySize(unmasked)) {
    const images = keys.map((k) => views.get(k)!);
    if (keys.length === 1) {
      out.set(keys[0], encoder.forward(images[0], forwardOptions).pooled);
      continue;
    }
    const pooled = encoder.forward(tf.concat(images, 0), forwardOptions).pooled;
    tf.split(pooled, images.map((t) => t.shape[0]), 0).forEach((part, i) => out.set(keys[i], part as tf.Tensor2D));
  }
  return out;
}

/** View keys grouped by image size [H, W, C], in first-seen order. */
function groupBySize(views: ReadonlyMap<string, tf.Tensor4D>): string[][] {
  const groups = new Map<string, string[]>();
  for (const [key, images] of views) {
    const size = images.shape.slice(1).join('x');
    const group = groups.get(size);
    if (group) group.push(key);
    else groups.set(size, [key]);
  }
  return [...groups.values()];
}

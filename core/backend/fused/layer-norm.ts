import * as tf from '@tensorflow/tfjs';
import { defineFusedKernel, referenceVjp, runFused } from './registry';

/**
 * SlipkitLayerNorm: x [N, D] → x̂ = (x − mean)/σ and 1/σ [N, 1] per row, σ = √(var + eps).
 * SlipkitLayerNormGrad: dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))/σ from dx̂, x̂ and 1/σ;
 * SlipkitLayerNormGradAdd: the same plus a residual gradient.
 */
export const LAYER_NORM = defineFusedKernel({
  name: 'SlipkitLayerNorm',
  outputs: 2,
  reference: ([x], { eps }) => {
    // x − mean once, reused for the variance (tf.moments would subtract twice).
    const centred = tf.sub(x!, tf.mean(x!, -1, true));
    const invStd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps!));
    return [tf.mul(centred, invStd), invStd];
  },
});

const gradReference = ([dxHat, xHat, invStd, residual]: tf.Tensor[]): tf.Tensor[] => {
  const meanG = tf.mean(dxHat!, -1, true);
  const meanGx = tf.mean(tf.mul(dxHat!, xHat!), -1, true);
  const dx = tf.mul(tf.sub(tf.sub(dxHat!, meanG), tf.mul(xHat!, meanGx)), invStd!);
  return [residual ? tf.add(residual, dx) : dx];
};

export const LAYER_NORM_GRAD = defineFusedKernel({ name: 'SlipkitLayerNormGrad', outputs: 1, reference: gradReference });
export const LAYER_NORM_GRAD_ADD = defineFusedKernel({ name: 'SlipkitLayerNormGradAdd', outputs: 1, reference: gradReference });

/** x̂ and 1/σ per row of x [N, D]. */
export function normaliseRows(x: tf.Tensor2D, eps: number): { xHat: tf.Tensor2D; invStd: tf.Tensor2D } {
  const [xHat, invStd] = runFused(LAYER_NORM.name, [x], { eps }) as tf.Tensor2D[];
  return { xHat: xHat!, invStd: invStd! };
}

/** dx of x̂ = normaliseRows(x) given dx̂, x̂ and 1/σ, plus `residual` when given. */
export function normaliseRowsBackward(dxHat: tf.Tensor, xHat: tf.Tensor, invStd: tf.Tensor, residual?: tf.Tensor): tf.Tensor {
  return runFused(residual ? LAYER_NORM_GRAD_ADD.name : LAYER_NORM_GRAD.name, residual ? [dxHat, xHat, invStd, residual] : [dxHat, xHat, invStd])[0]!;
}

/**
 * SlipkitLayerNorm's gradient, from both outputs' gradients: through x̂ the LayerNorm backward
 * pass (itself the fused SlipkitLayerNormGrad), and through 1/σ, since ∂(1/σ)/∂x = −x̂/(σ²·D),
 * −(1/σ)²·x̂·d(1/σ)/D.
 */
export const LAYER_NORM_GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: LAYER_NORM.name,
    outputsToSave: [true, true],
    gradFunc: (dy, saved) => {
      // An output outside the differentiated graph comes with a null gradient.
      const [dxHat, dInvStd] = dy as Array<tf.Tensor | null>;
      const [xHat, invStd] = saved;
      return {
        0: () => {
          const width = xHat!.shape[xHat!.rank - 1]!;
          const throughInvStd = dInvStd ? tf.mul(tf.mul(dInvStd, tf.square(invStd!)), tf.mul(xHat!, -1 / width)) : undefined;
          if (!dxHat) return throughInvStd ?? tf.zerosLike(xHat!);
          return normaliseRowsBackward(dxHat, xHat!, invStd!, throughInvStd);
        },
      };
    },
  },
  referenceVjp(LAYER_NORM_GRAD.name, 3),
  referenceVjp(LAYER_NORM_GRAD_ADD.name, 4),
];

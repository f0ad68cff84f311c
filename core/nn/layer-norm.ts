import * as tf from '@tensorflow/tfjs';
import { fusedOpsActive, runFusedOp } from '../backend/fused-ops';
import type { NamedVariable } from '../contracts/trainable';
import { withCustomGrad } from './custom-grad';
import { constantVariable } from './init';

/**
 * Layer normalisation over the last axis of x [N, D]: (x − mean) / sqrt(var + eps) · γ + β,
 * as one tape node that keeps only the normalised input x̂ and 1/σ per row (a chain of
 * primitives keeps about six [N, D] tensors). With g = dy·γ:
 *   dx = (g − mean(g) − x̂·mean(g·x̂)) / σ,   dγ = Σ dy·x̂,   dβ = Σ dy.
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor2D {
  return withCustomGrad<tf.Tensor2D>([x, gamma, beta], (save) => {
    const { xHat, invStd } = normalise(x, eps);
    save([xHat, invStd]);
    return {
      value: tf.add(tf.mul(xHat, gamma), beta),
      gradients: (dy, [savedXHat, savedInvStd]) => tf.tidy(() => layerNormBackward(dy, savedXHat, savedInvStd, gamma)),
    };
  });
}

/** x̂ = (x − mean) / sqrt(var + eps) per row, and 1/σ [N, 1]. One pass with the fused ops (core/backend/fused-ops.ts). */
export function normalise(x: tf.Tensor2D, eps: number): { xHat: tf.Tensor2D; invStd: tf.Tensor2D } {
  if (fusedOpsActive()) {
    const [xHat, invStd] = runFusedOp('SlipkitLayerNorm', [x], { eps }) as tf.Tensor2D[];
    return { xHat: xHat!, invStd: invStd! };
  }
  return tf.tidy(() => {
    // x − mean once, reused for the variance (tf.moments would subtract twice).
    const centred = tf.sub(x, tf.mean(x, -1, true));
    const invStd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps)) as tf.Tensor2D;
    return { xHat: tf.mul(centred, invStd) as tf.Tensor2D, invStd };
  });
}

/**
 * dx of x̂ = normalise(x) given dx̂, x̂ and 1/σ: (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / σ, plus
 * `residual` when given (in a pre-LN block, the gradient that reaches x around the norm).
 * One pass with the fused ops.
 */
export function normaliseBackward(dxHat: tf.Tensor, xHat: tf.Tensor, invStd: tf.Tensor, residual?: tf.Tensor): tf.Tensor {
  if (fusedOpsActive()) {
    return runFusedOp(residual ? 'SlipkitLayerNormGradAdd' : 'SlipkitLayerNormGrad', residual ? [dxHat, xHat, invStd, residual] : [dxHat, xHat, invStd])[0]!;
  }
  return tf.tidy(() => {
    const meanG = tf.mean(dxHat, -1, true);
    const meanGx = tf.mean(tf.mul(dxHat, xHat), -1, true);
    const dx = tf.mul(tf.sub(tf.sub(dxHat, meanG), tf.mul(xHat, meanGx)), invStd);
    return residual ? tf.add(residual, dx) : dx;
  });
}

/** [dx, dγ, dβ] of y = x̂·γ + β given dy, x̂ and 1/σ (see layerNorm). */
export function layerNormBackward(dy: tf.Tensor, xHat: tf.Tensor, invStd: tf.Tensor, gamma: tf.Tensor): tf.Tensor[] {
  return [normaliseBackward(tf.mul(dy, gamma), xHat, invStd), tf.sum(tf.mul(dy, xHat), 0), tf.sum(dy, 0)];
}

/** LayerNorm with learned scale (`weight`, ones) and shift (`bias`, zeros); neither decays. */
export class LayerNorm {
  readonly weight: tf.Variable<tf.Rank.R1>;
  readonly bias: tf.Variable<tf.Rank.R1>;

  constructor(
    readonly name: string,
    readonly width: number,
    readonly eps: number,
  ) {
    this.weight = constantVariable([width], 1) as tf.Variable<tf.Rank.R1>;
    this.bias = constantVariable([width], 0) as tf.Variable<tf.Rank.R1>;
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }

  variables(): NamedVariable[] {
    return [
      { name: `${this.name}.weight`, variable: this.weight, decay: false },
      { name: `${this.name}.bias`, variable: this.bias, decay: false },
    ];
  }
}

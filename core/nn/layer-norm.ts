import * as tf from '@tensorflow/tfjs';
import { normaliseRows, normaliseRowsBackward } from '../backend/fused';
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

/** x̂ = (x − mean) / sqrt(var + eps) per row, and 1/σ [N, 1]: one kernel, SlipkitLayerNorm (core/backend/fused). */
export function normalise(x: tf.Tensor2D, eps: number): { xHat: tf.Tensor2D; invStd: tf.Tensor2D } {
  return normaliseRows(x, eps);
}

/**
 * dx of x̂ = normalise(x) given dx̂, x̂ and 1/σ: (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / σ, plus
 * `residual` when given (in a pre-LN block, the gradient that reaches x around the norm).
 * One kernel: SlipkitLayerNormGrad(Add).
 */
export function normaliseBackward(dxHat: tf.Tensor, xHat: tf.Tensor, invStd: tf.Tensor, residual?: tf.Tensor): tf.Tensor {
  return normaliseRowsBackward(dxHat, xHat, invStd, residual);
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

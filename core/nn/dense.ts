import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../contracts/trainable';
import { withCustomGrad } from './custom-grad';
import { constantVariable, truncNormalVariable } from './init';
import { columnSums, linear2d, matMul2d } from './matmul';
import type { ParamSeeds } from './param-seeds';

/**
 * y = x·W (+ b) for 2-D x [N, in] and W [in, out] (see linear2d).
 *
 * Its gradient keeps only x (and W, a variable that is alive anyway). tf.fused.matMul's
 * own gradient also keeps its output, which in a transformer is one more [N, out]
 * activation per linear layer for nothing.
 */
export function dense(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  const inputs: tf.Tensor[] = bias ? [x, weight, bias] : [x, weight];
  return withCustomGrad<tf.Tensor2D>(inputs, (save) => {
    save([x]);
    return {
      value: linear2d(x, weight, bias),
      gradients: (dy, [input]) => {
        const dx = matMul2d(dy, weight, false, true);
        const dw = matMul2d(input as tf.Tensor2D, dy, true, false);
        return bias ? [dx, dw, columnSums(dy)] : [dx, dw];
      },
    };
  });
}

/** Checkpoint names of a linear layer's weight and bias. */
export interface LinearNames {
  weight: string;
  bias: string;
}

/** `<prefix>.weight` and `<prefix>.bias`, the usual PyTorch names. */
export const linearNames = (prefix: string): LinearNames => ({ weight: `${prefix}.weight`, bias: `${prefix}.bias` });

/**
 * A linear layer [in] → [out] with a bias, weight stored [in, out] (PyTorch's transpose,
 * flagged `transposeForTorch`) and drawn from a truncated normal (±2σ), bias zero.
 */
export class DenseLayer {
  readonly weight: tf.Variable<tf.Rank.R2>;
  readonly bias: tf.Variable<tf.Rank.R1>;

  constructor(
    readonly names: LinearNames,
    readonly inFeatures: number,
    readonly outFeatures: number,
    init: { std: number; seeds: ParamSeeds },
  ) {
    this.weight = truncNormalVariable([inFeatures, outFeatures], init.std, init.seeds.rng(names.weight)) as tf.Variable<tf.Rank.R2>;
    this.bias = constantVariable([outFeatures], 0) as tf.Variable<tf.Rank.R1>;
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return dense(x, this.weight, this.bias);
  }

  variables(): NamedVariable[] {
    return [
      { name: this.names.weight, variable: this.weight, decay: true, transposeForTorch: true },
      { name: this.names.bias, variable: this.bias, decay: false },
    ];
  }
}

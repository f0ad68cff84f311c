import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../contracts/trainable';
import type { Rng } from '../random';
import { gelu } from './gelu';
import { constantVariable, truncNormalVariable, xavierUniformVariable } from './init';

export type Activation = 'linear' | 'relu' | 'gelu';

export interface LinearOptions {
  bias?: boolean;
  /** 'xavier' (default) or a truncated-normal std. */
  init?: 'xavier' | { std: number };
}

/**
 * y = x·W + b, with W stored [in, out] (the tfjs matMul layout; PyTorch's nn.Linear keeps
 * [out, in], so checkpoints transpose it, flagged by `transposeForTorch`). Runs as one
 * fused matMul + bias (+ relu) kernel; inputs of rank > 2 are flattened to 2-D and back.
 */
export class Linear {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
    options: LinearOptions = {},
  ) {
    const init = options.init ?? 'xavier';
    this.weight =
      init === 'xavier'
        ? xavierUniformVariable([inFeatures, outFeatures], rng)
        : truncNormalVariable([inFeatures, outFeatures], init.std, rng);
    if (options.bias !== false) this.bias = constantVariable([outFeatures], 0);
  }

  apply<R extends tf.Rank>(x: tf.Tensor<R>, activation: Activation = 'linear'): tf.Tensor<R> {
    return tf.tidy(() => {
      const shape = x.shape;
      const x2 = shape.length === 2 ? (x as unknown as tf.Tensor2D) : x.reshape([-1, this.inFeatures]) as tf.Tensor2D;
      const fusedAct = activation === 'relu' ? 'relu' : 'linear';
      let y: tf.Tensor = tf.fused.matMul({ a: x2, b: this.weight as tf.Tensor2D, bias: this.bias, activation: fusedAct });
      if (activation === 'gelu') y = gelu(y);
      return (shape.length === 2 ? y : y.reshape([...shape.slice(0, -1), this.outFeatures])) as tf.Tensor<R>;
    });
  }

  variables(prefix: string): NamedVariable[] {
    const out: NamedVariable[] = [{ name: `${prefix}.weight`, variable: this.weight, decay: true, transposeForTorch: true }];
    if (this.bias) out.push({ name: `${prefix}.bias`, variable: this.bias, decay: false });
    return out;
  }
}

import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../contracts/trainable';
import { affineVariables, batchNorm1d, BATCH_NORM_EPS, type AffineParams } from './batch-norm';
import { dense } from './dense';
import { constantVariable, uniformValues, variableFrom } from './init';
import type { ParamSeeds } from './param-seeds';
import { relu } from './relu';

/**
 * A projector / predictor head as the SSL papers build it:
 *
 *   [Linear → BatchNorm1d → ReLU] × hidden.length → Linear → (BatchNorm1d)
 *
 * Which biases and which output normalisation a head has differs between methods (MoCo v3,
 * SimSiam and Barlow Twins drop the biases that a BatchNorm cancels anyway, and end with a
 * BatchNorm without γ/β), so both are part of the config.
 */
export interface MlpConfig {
  inputDim: number;
  /** Widths of the hidden layers, each followed by BatchNorm1d and ReLU. May be empty (a linear head). */
  hidden: readonly number[];
  outputDim: number;
  /** Bias on the hidden Linear layers. Default true. */
  hiddenBias?: boolean;
  /** Bias on the output Linear layer. Default true. */
  outputBias?: boolean;
  /** Normalisation after the output Linear: none, BatchNorm with γ/β, or BatchNorm without. Default 'none'. */
  outputNorm?: 'none' | 'batch-norm' | 'batch-norm-no-affine';
  eps?: number;
}

interface DenseParams {
  /** [in, out], the tfjs matMul layout (PyTorch stores the transpose). */
  weight: tf.Variable;
  bias?: tf.Variable;
}

interface MlpLayer {
  dense: DenseParams;
  /** Whether a BatchNorm follows the Linear; its γ/β live in `affine` when it has them. */
  norm: boolean;
  affine?: AffineParams;
  relu: boolean;
}

/**
 * PyTorch's nn.Linear default initialisation (kaiming-uniform with a = √5), which every
 * reference implementation of these heads relies on: weight and bias ~ U(−1/√in, 1/√in).
 * Each parameter draws from its own seeded stream (ParamSeeds), so a seed fixes the head
 * on every backend and resizing one layer leaves the others' initial values alone.
 */
function torchDefaultDense(name: string, inputDim: number, outputDim: number, bias: boolean, seeds: ParamSeeds): DenseParams {
  const bound = 1 / Math.sqrt(inputDim);
  const weight = variableFrom(uniformValues(inputDim * outputDim, bound, seeds.rng(`${name}.weight`)), [inputDim, outputDim]);
  if (!bias) return { weight };
  return { weight, bias: variableFrom(uniformValues(outputDim, bound, seeds.rng(`${name}.bias`)), [outputDim]) };
}

/** A non-trainable variable holding a copy of `v`. */
function frozenVariable(v: tf.Variable): tf.Variable {
  return tf.tidy(() => tf.variable(v.clone(), false));
}

/** A BatchNorm'd MLP head whose parameters are plain variables, so it can be copied as an EMA target. */
export class Mlp {
  private constructor(
    /** Checkpoint prefix of every parameter, e.g. `image_mlp`. */
    readonly prefix: string,
    readonly config: Readonly<MlpConfig>,
    private readonly layers: readonly MlpLayer[],
  ) {}

  /** A freshly initialised head whose parameters are named `<prefix>.layer1.weight`, …. */
  static create(prefix: string, config: MlpConfig, seeds: ParamSeeds): Mlp {
    const widths = [config.inputDim, ...config.hidden, config.outputDim];
    const outputNorm = config.outputNorm ?? 'none';
    const layers: MlpLayer[] = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      const last = i + 2 === widths.length;
      const bias = last ? config.outputBias !== false : config.hiddenBias !== false;
      const dense = torchDefaultDense(`${prefix}.layer${i + 1}`, widths[i], widths[i + 1], bias, seeds);
      const norm = !last || outputNorm !== 'none';
      const hasAffine = !last || outputNorm === 'batch-norm';
      const affine = hasAffine
        ? { weight: constantVariable([widths[i + 1]], 1), bias: constantVariable([widths[i + 1]], 0) }
        : undefined;
      layers.push({ dense, norm, affine, relu: !last });
    }
    return new Mlp(prefix, { ...config, hidden: [...config.hidden] }, layers);
  }

  get inputDim(): number {
    return this.config.inputDim;
  }

  get outputDim(): number {
    return this.config.outputDim;
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let h = x;
      for (const layer of this.layers) {
        h = dense(h, layer.dense.weight as tf.Tensor2D, layer.dense.bias as tf.Tensor1D | undefined);
        if (layer.norm) h = batchNorm1d(h, layer.affine, this.config.eps ?? BATCH_NORM_EPS);
        if (layer.relu) h = relu(h);
      }
      return h;
    });
  }

  /**
   * Checkpoint names after SLIP's `image_mlp` (`layer1`, `bn1`, …, numbered by Linear), so
   * a state dict maps onto the PyTorch module one to one.
   */
  variables(): NamedVariable[] {
    const prefix = this.prefix;
    const out: NamedVariable[] = [];
    this.layers.forEach((layer, i) => {
      const n = i + 1;
      out.push({ name: `${prefix}.layer${n}.weight`, variable: layer.dense.weight, decay: true, transposeForTorch: true });
      if (layer.dense.bias) out.push({ name: `${prefix}.layer${n}.bias`, variable: layer.dense.bias, decay: false });
      if (layer.affine) out.push(...affineVariables(layer.affine, `${prefix}.bn${n}`));
    });
    return out;
  }

  /**
   * A copy with the same values held in non-trainable variables: the EMA target of a
   * momentum method, whose variables pair one to one (same order) with this head's.
   */
  frozenCopy(): Mlp {
    const layers = this.layers.map((l) => ({
      dense: { weight: frozenVariable(l.dense.weight), bias: l.dense.bias && frozenVariable(l.dense.bias) },
      norm: l.norm,
      affine: l.affine && { weight: frozenVariable(l.affine.weight), bias: frozenVariable(l.affine.bias) },
      relu: l.relu,
    }));
    return new Mlp(this.prefix, this.config, layers);
  }

  dispose(): void {
    for (const v of this.variables()) v.variable.dispose();
  }
}

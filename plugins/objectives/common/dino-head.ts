import * as tf from '@tensorflow/tfjs';
import { constantVariable, gelu, l2Normalize, type NamedVariable, type ParamSeeds, stopGradient, truncNormalVariable } from '../../../core/toolkit';

/** Widths of DINO's head: the MLP's hidden layers and its bottleneck (the last layer's input). */
export interface DinoHeadOptions {
  hidden: number[];
  bottleneck: number;
}

interface DinoHeadParams {
  /** [in, out] weights and biases of the MLP: hidden layers, then the bottleneck. */
  layers: Array<{ weight: tf.Variable; bias: tf.Variable }>;
  /** The weight-normalised last layer's direction v [bottleneck, out]; its gain g is fixed at 1. */
  lastLayer: tf.Variable;
}

/** A non-trainable copy of `v`. */
const frozen = (v: tf.Variable): tf.Variable => tf.tidy(() => tf.variable(v.clone(), false));

/**
 * DINO's projection head (facebookresearch/dino, vision_transformer.py DINOHead, no BatchNorm):
 *   [Linear → GELU] × hidden → Linear(bottleneck) → L2-normalise → weight-normalised Linear(out, no bias)
 * with the last layer's gain fixed at 1 (norm_last_layer=True): its weight is v with each
 * output unit's column divided by its norm. Weights ~ trunc_normal(0.02), biases 0, as DINO
 * initialises them. Parameter names follow the reference: `<prefix>.layerK.weight|bias`,
 * `<prefix>.last_layer.weight` (PyTorch's weight_v).
 */
export class DinoHead {
  private constructor(
    readonly prefix: string,
    private readonly params: DinoHeadParams,
  ) {}

  static create(prefix: string, inputDim: number, widths: DinoHeadOptions, outDim: number, seeds: ParamSeeds): DinoHead {
    const dims = [inputDim, ...widths.hidden, widths.bottleneck];
    const layers = dims.slice(1).map((out, i) => ({
      weight: truncNormalVariable([dims[i], out], 0.02, seeds.rng(`${prefix}.layer${i + 1}.weight`)),
      bias: constantVariable([out], 0),
    }));
    const lastLayer = truncNormalVariable([widths.bottleneck, outDim], 0.02, seeds.rng(`${prefix}.last_layer.weight`));
    return new DinoHead(prefix, { layers, lastLayer });
  }

  /** [N, in] → [N, out]. `freezeLastLayer` stops the last layer's gradient (DINO's first epoch). */
  apply(x: tf.Tensor2D, options: { freezeLastLayer?: boolean } = {}): tf.Tensor2D {
    return tf.tidy(() => {
      let h = x;
      this.params.layers.forEach((layer, i) => {
        h = tf.add(tf.matMul(h, layer.weight as tf.Tensor2D), layer.bias) as tf.Tensor2D;
        if (i + 1 < this.params.layers.length) h = gelu(h);
      });
      const v = options.freezeLastLayer ? stopGradient(this.params.lastLayer as tf.Tensor2D) : (this.params.lastLayer as tf.Tensor2D);
      const w = tf.div(v, tf.sqrt(tf.sum(tf.square(v), 0, true)));
      return tf.matMul(l2Normalize(h), w) as tf.Tensor2D;
    });
  }

  variables(): NamedVariable[] {
    const out: NamedVariable[] = [];
    this.params.layers.forEach((l, i) => {
      out.push({ name: `${this.prefix}.layer${i + 1}.weight`, variable: l.weight, decay: true, transposeForTorch: true });
      out.push({ name: `${this.prefix}.layer${i + 1}.bias`, variable: l.bias, decay: false });
    });
    out.push({ name: `${this.prefix}.last_layer.weight`, variable: this.params.lastLayer, decay: true, transposeForTorch: true });
    return out;
  }

  /** The EMA target (DINO's teacher head): the same values in non-trainable variables, paired in variables() order. */
  frozenCopy(): DinoHead {
    const layers = this.params.layers.map((l) => ({ weight: frozen(l.weight), bias: frozen(l.bias) }));
    return new DinoHead(this.prefix, { layers, lastLayer: frozen(this.params.lastLayer) });
  }
}

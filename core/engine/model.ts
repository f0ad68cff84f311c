import * as tf from '@tensorflow/tfjs';
import type { ImageEncoder, TextEncoder, Tokenizer } from '../contracts/encoders';
import type { NamedVariable, Trainable } from '../contracts/trainable';
import { Linear } from '../nn/linear';
import type { Rng } from '../random';

/**
 * The model every objective shares: one image encoder, an optional text encoder, and the
 * projections into the joint image-text space (owned here, not by an objective, because
 * zero-shot evaluation and retrieval need them too).
 *
 * Parameter names (what checkpoints store):
 *   visual.<timm ViT name>   image encoder, e.g. visual.blocks.0.attn.qkv.weight
 *   visual.proj              image projection [width, embedDim] (open_clip's visual.proj)
 *   <open_clip text name>    text encoder, e.g. transformer.resblocks.0.ln_1.weight
 *   text_projection          text projection [width, embedDim] (open_clip's text_projection)
 */
export class DualEncoderModel implements Trainable {
  readonly imageProjection?: Linear;
  readonly textProjection?: Linear;

  constructor(
    readonly image: ImageEncoder,
    readonly text: TextEncoder | undefined,
    readonly tokenizer: Tokenizer | undefined,
    readonly embedDim: number,
    rng: Rng,
  ) {
    if (text) {
      // CLIP's initialisation: normal with std width^-0.5, no bias.
      this.imageProjection = new Linear(image.featureDim, embedDim, rng, { bias: false, init: { std: image.featureDim ** -0.5 } });
      this.textProjection = new Linear(text.featureDim, embedDim, rng, { bias: false, init: { std: text.featureDim ** -0.5 } });
    }
  }

  get hasText(): boolean {
    return this.text !== undefined;
  }

  variables(): NamedVariable[] {
    const out = this.image.variables().map((v) => ({ ...v, name: `visual.${v.name}` }));
    if (this.imageProjection) out.push({ name: 'visual.proj', variable: this.imageProjection.weight, decay: true });
    if (this.text) out.push(...this.text.variables());
    if (this.textProjection) out.push({ name: 'text_projection', variable: this.textProjection.weight, decay: true });
    return out;
  }

  /** Variables of the two encoders only (what GradCache backpropagates chunk by chunk). */
  encoderVariables(): { image: NamedVariable[]; text: NamedVariable[] } {
    const names = new Set(this.projectionVariables().map((v) => v.name));
    const all = this.variables().filter((v) => !names.has(v.name));
    const textNames = new Set((this.text?.variables() ?? []).map((v) => v.name));
    return { image: all.filter((v) => !textNames.has(v.name)), text: all.filter((v) => textNames.has(v.name)) };
  }

  projectionVariables(): NamedVariable[] {
    return this.variables().filter((v) => v.name === 'visual.proj' || v.name === 'text_projection');
  }

  projectImage(features: tf.Tensor2D): tf.Tensor2D {
    if (!this.imageProjection) throw new Error('the model has no text tower, so no joint embedding (set model.text)');
    return this.imageProjection.apply(features);
  }

  projectText(features: tf.Tensor2D): tf.Tensor2D {
    if (!this.textProjection) throw new Error('the model has no text tower (set model.text)');
    return this.textProjection.apply(features);
  }

  /** Tokenises captions and returns the text encoder's pooled features [N, width]. */
  encodeTexts(texts: readonly string[]): tf.Tensor2D {
    if (!this.text || !this.tokenizer) throw new Error('the model has no text tower (set model.text and data.tokenizer)');
    const tokens = this.tokenizer.encode(texts);
    return tf.tidy(() => {
      const ids = tf.tensor2d(tokens.ids, [tokens.batch, tokens.contextLength], 'int32');
      const eot = tf.tensor1d(tokens.eot, 'int32');
      return this.text!.forward(ids, eot, { training: false });
    });
  }
}

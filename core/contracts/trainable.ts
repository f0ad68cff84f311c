import type * as tf from '@tensorflow/tfjs';

/**
 * A trainable parameter with a stable, checkpoint-facing name. Names follow timm /
 * open_clip conventions where one exists (`blocks.0.attn.qkv.weight`), so that
 * safetensors checkpoints map onto those libraries (see README, "Checkpoints").
 */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
  /** False for biases, normalisation parameters, class token, position embeddings, logit scale. */
  decay: boolean;
  /** True for 2-D linear weights stored [in, out]; PyTorch layout is the transpose. */
  transposeForTorch?: boolean;
}

/** Anything that owns parameters: encoders, heads, objectives. */
export interface Trainable {
  variables(): NamedVariable[];
}

/** Frees every variable of a trainable. */
export function disposeTrainable(t: Trainable): void {
  for (const v of t.variables()) v.variable.dispose();
}

import * as tf from '@tensorflow/tfjs';

/**
 * True while a gradient tape is recording (inside tf.grads, tf.variableGrads and the
 * like), i.e. when a custom-gradient forward pass should prepare and save what its
 * backward pass needs. An evaluation forward pass skips that work.
 */
export const isRecordingGradients = (): boolean => tf.engine().state.gradientDepth > 0;

export type SaveForBackward = (tensors: tf.Tensor[]) => void;

export interface CustomGradForward<T extends tf.Tensor> {
  value: T;
  /** One gradient per input, in the order the inputs were given. */
  gradients: (dy: T, saved: tf.Tensor[]) => tf.Tensor[];
}

/**
 * Runs `forward` as one node on the gradient tape: its intermediates are freed as soon as
 * it returns, and only what it passes to `save` is kept for the backward pass. This is
 * how slipkit's layers keep far fewer tensors alive than a chain of primitive ops would
 * (each primitive keeps its own inputs for its own gradient).
 *
 * `forward` reads the inputs from its closure; they are also passed to tf.customGrad so
 * that the tape knows what to differentiate.
 */
export function withCustomGrad<T extends tf.Tensor>(
  inputs: readonly tf.Tensor[],
  forward: (save: SaveForBackward) => CustomGradForward<T>,
): T {
  const op = tf.customGrad((...args: Array<tf.Tensor | SaveForBackward>) => {
    const save = args[args.length - 1] as SaveForBackward;
    const { value, gradients } = forward(save);
    return { value, gradFunc: (dy: T, saved: tf.Tensor[]) => gradients(dy, saved) };
  });
  return op(...inputs) as T;
}

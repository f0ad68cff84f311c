import * as tf from '@tensorflow/tfjs';

/**
 * tf.customGrad's forward: identity, whose backward is zero. Its inputs arrive as
 * (x, save) where `save` is tfjs' tape-saving callback, unused here.
 */
const detach = tf.customGrad((...args: Array<tf.Tensor | ((save: tf.Tensor[]) => void)>) => {
  const x = args[0] as tf.Tensor;
  return { value: x.clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
});

/**
 * Identity in the forward pass, zero gradient in the backward pass (PyTorch's `.detach()`).
 * tfjs has no such op, so it is a custom gradient; used for the target branches of
 * SimSiam, BYOL and MoCo v3, where the stop-gradient is part of the method.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return detach(x) as T;
}

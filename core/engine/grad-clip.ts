import * as tf from '@tensorflow/tfjs';

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`, as
 * torch.nn.utils.clip_grad_norm_ does: every gradient is multiplied by
 * min(1, maxNorm / (norm + 1e-6)) (by exactly 1 when the norm is within bounds). The map's
 * tensors are replaced (the old ones disposed). Returns the norm before clipping as a device
 * scalar: nothing is read back, so on a GPU the step is not stalled by the read.
 */
export function clipGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): tf.Scalar {
  const norm = tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
  const coef = tf.tidy(() => tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6))));
  for (const [name, g] of grads) {
    grads.set(name, tf.mul(g, coef));
    g.dispose();
  }
  coef.dispose();
  return norm;
}

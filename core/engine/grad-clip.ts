import * as tf from '@tensorflow/tfjs';

/**
 * Scales gradients so their global L2 norm is at most `maxNorm` (torch.nn.utils.clip_grad_norm_,
 * with its 1e-6 in the denominator). Returns the new map (old tensors disposed when replaced)
 * and the norm before clipping (read from the device without blocking it).
 */
export async function clipGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): Promise<number> {
  const normTensor = tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))));
  // Read asynchronously: the webgpu backend cannot read synchronously in Node.
  const norm = (await normTensor.data())[0];
  normTensor.dispose();
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (const [name, g] of grads) {
      grads.set(name, tf.mul(g, coef));
      g.dispose();
    }
  }
  return norm;
}

import * as tf from '@tensorflow/tfjs';
import { defineFusedKernel, runFused } from './registry';

/** One AdamW step's scalars for one parameter (see adamwUpdate). */
export interface AdamWAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1 − lr·weightDecay, or 1 for a parameter that does not decay. */
  decay: number;
  /** 1 − β1ᵗ and √(1 − β2ᵗ). */
  bc1: number;
  bc2Sqrt: number;
}

/**
 * SlipkitAdamW: one AdamW update of a parameter p with gradient g and moments m, v, as
 * torch.optim.AdamW orders it: m′ = β1·m + (1−β1)·g; v′ = β2·v + (1−β2)·g²;
 * p′ = p·decay − (lr/bc1)·m′/(√v′/bc2Sqrt + ε). Outputs p′, m′, v′. The reference is about
 * thirteen element-wise ops, each a pass over the parameter; a backend kernel is one pass.
 * The m and v inputs are consumed: a kernel may write m′ and v′ over them and return outputs
 * that share their buffers (the native one does, so that the moments are never held twice).
 */
export const ADAMW = defineFusedKernel({
  name: 'SlipkitAdamW',
  outputs: 3,
  reference: ([param, grad, m, v], attrs) => {
    const a = attrs as unknown as AdamWAttrs;
    const mNew = tf.add(tf.mul(m!, a.beta1), tf.mul(grad!, 1 - a.beta1));
    const vNew = tf.add(tf.mul(v!, a.beta2), tf.mul(tf.square(grad!), 1 - a.beta2));
    const decayed = a.decay !== 1 ? tf.mul(param!, a.decay) : param!;
    const denom = tf.add(tf.div(tf.sqrt(vNew), a.bc2Sqrt), a.eps);
    return [tf.sub(decayed, tf.mul(tf.div(mNew, denom), a.lr / a.bc1)), mNew, vNew];
  },
});

/** p′, m′, v′ of one AdamW update (an optimizer step: no gradient is registered for it). */
export function adamwUpdate(param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, attrs: AdamWAttrs): { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  const [p, mNew, vNew] = runFused(ADAMW.name, [param, grad, m, v], attrs as unknown as Record<string, number>);
  return { param: p!, m: mNew!, v: vNew! };
}

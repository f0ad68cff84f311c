import * as tf from '@tensorflow/tfjs';
import { fusedOpsActive, runFusedOp } from '../backend/fused-ops';

/**
 * x + h + b for x, h [..., D] and a bias b [D]: a residual connection around a linear
 * layer whose product h is computed without its bias. One pass with the fused ops
 * (core/backend/fused-ops.ts), two tfjs ops otherwise.
 */
export function addBiasResidual<T extends tf.Tensor>(x: T, h: T, bias: tf.Tensor1D): T {
  if (fusedOpsActive()) return runFusedOp('SlipkitBiasResidual', [x, h, bias])[0] as T;
  return tf.tidy(() => tf.add(x, tf.add(h, bias)) as T);
}

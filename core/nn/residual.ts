import type * as tf from '@tensorflow/tfjs';
import { biasResidual } from '../backend/fused';

/**
 * x + h + b for x, h [..., D] and a bias b [D]: a residual connection around a linear
 * layer whose product h is computed without its bias. One kernel, SlipkitBiasResidual
 * (core/backend/fused).
 */
export function addBiasResidual<T extends tf.Tensor>(x: T, h: T, bias: tf.Tensor1D): T {
  return biasResidual(x, h, bias);
}

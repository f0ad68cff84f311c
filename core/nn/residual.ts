import * as tf from '@tensorflow/tfjs';
import { withCustomGrad } from './custom-grad';

/**
 * x + y for tensors of the same shape, keeping nothing for the gradient (which is dy for
 * both). tf.add keeps both inputs (only to read their shapes), so on a transformer's
 * residual stream it would hold two more activations per sub-layer until backward.
 */
export function residualAdd<T extends tf.Tensor>(x: T, y: T): T {
  if (!x.shape.every((d, i) => d === y.shape[i]) || x.rank !== y.rank) {
    throw new RangeError(`residualAdd needs equal shapes, got [${x.shape}] and [${y.shape}]`);
  }
  return withCustomGrad<T>([x, y], () => ({
    value: tf.add(x, y),
    gradients: (dy) => [dy, tf.clone(dy)],
  }));
}

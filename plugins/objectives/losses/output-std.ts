import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from '../../../core/toolkit';
import { requireEmbeddings } from './checks';

/**
 * Mean over dimensions of the (unbiased) std over the batch of the L2-normalised rows:
 * SimSiam's collapse monitor (Chen & He 2021, section 4.1). About 1/√D for healthy
 * outputs, 0 when they collapse. A metric, not a loss; needs at least two rows.
 */
export function normalizedOutputStd(z: tf.Tensor2D): tf.Scalar {
  requireEmbeddings('normalizedOutputStd', 'z', z, 2);
  return tf.tidy(() => {
    const n = z.shape[0];
    const zn = l2Normalize(z);
    const centred = tf.sub(zn, tf.mean(zn, 0, true));
    const variance = tf.div(tf.sum(tf.square(centred), 0), n - 1);
    return tf.mean(tf.sqrt(variance)) as tf.Scalar;
  });
}

import * as tf from '@tensorflow/tfjs';
import { TrainingError } from '../../../core/toolkit';

/**
 * Images [B, H, W, C] → patches [B, L, p·p·C], L = (H/p)·(W/p) in row-major grid order, each
 * patch flattened as (row, column, channel): MAE's patchify (einsum 'nchpwq->nhwpqc'; lightly's
 * utils.patchify), the layout of MAE's decoder_pred output.
 */
export function patchPixels(images: tf.Tensor4D, patchSize: number): tf.Tensor3D {
  const [batch, height, width, channels] = images.shape;
  if (height % patchSize !== 0 || width % patchSize !== 0) {
    throw new TrainingError(`patchPixels: image ${height}×${width} is not a grid of ${patchSize}-pixel patches`);
  }
  const [rows, cols] = [height / patchSize, width / patchSize];
  return tf.tidy(() => {
    const grid = tf.reshape(images, [batch, rows, patchSize, cols, patchSize, channels]);
    return tf.reshape(tf.transpose(grid, [0, 1, 3, 2, 4, 5]), [batch, rows * cols, patchSize * patchSize * channels]) as tf.Tensor3D;
  });
}

/**
 * MAE's reconstruction loss (facebookresearch/mae models_mae.py forward_loss): per patch the
 * mean squared error between the prediction and the target pixels — with `normPix`, each
 * target patch normalised by its own mean and unbiased variance, (x − μ)/√(σ² + 1e-6) —
 * averaged over the removed patches only (`removed` [B, L]: 1 removed, 0 kept).
 */
export function maeLoss(pred: tf.Tensor3D, target: tf.Tensor3D, removed: tf.Tensor2D, normPix: boolean): tf.Scalar {
  if (pred.shape.join() !== target.shape.join()) throw new TrainingError(`maeLoss: prediction [${pred.shape.join(', ')}] and target [${target.shape.join(', ')}] differ`);
  return tf.tidy(() => {
    let t: tf.Tensor = target;
    if (normPix) {
      const n = target.shape[2];
      const mean = tf.mean(target, 2, true);
      const variance = tf.div(tf.sum(tf.square(tf.sub(target, mean)), 2, true), n - 1);
      t = tf.div(tf.sub(target, mean), tf.sqrt(tf.add(variance, 1e-6)));
    }
    const perPatch = tf.mean(tf.square(tf.sub(pred, t)), 2);
    return tf.div(tf.sum(tf.mul(perPatch, removed)), tf.sum(removed)) as tf.Scalar;
  });
}

import * as tf from '@tensorflow/tfjs';

/** What the losses whose positives sit on a diagonal share: gathering it, its cross-entropy, its accuracy. */

export interface ContrastiveResult {
  loss: tf.Scalar;
  /** The logits whose diagonal holds the positives, for accuracy metrics. */
  logits: tf.Tensor2D;
}

/**
 * Entries [i, i] of an [N, M] matrix (N ≤ M), gathered from the flattened matrix (tfjs has
 * a gradient for gather, not for gatherND).
 */
export function diagonal(m: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const [n, cols] = m.shape;
    const flatIndex = tf.range(0, n * (cols + 1), cols + 1, 'int32');
    return tf.gather(tf.reshape(m, [-1]), flatIndex) as tf.Tensor1D;
  });
}

/**
 * Mean cross-entropy of each row of `logits` [N, M] against class i for row i, i.e.
 * F.cross_entropy(logits, arange(N)) = −mean(log_softmax(logits)[i, i]).
 */
export function diagonalCrossEntropy(logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(diagonal(tf.logSoftmax(logits)))) as tf.Scalar);
}

/** Percentage (0–100, as SLIP logs it) of rows of `logits` whose arg-max is their own index. */
export function diagonalTop1Percent(logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const hits = tf.equal(tf.argMax(logits, 1), tf.range(0, logits.shape[0], 1, 'int32'));
    return tf.mul(tf.mean(tf.cast(hits, 'float32')), 100) as tf.Scalar;
  });
}

/** Σᵢⱼ m²ᵢⱼ − Σᵢ d²ᵢ: the squared off-diagonal mass of a square matrix m whose diagonal is d. */
export function offDiagonalSquaredSum(m: tf.Tensor2D, diag: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sub(tf.sum(tf.square(m)), tf.sum(tf.square(diag))) as tf.Scalar);
}

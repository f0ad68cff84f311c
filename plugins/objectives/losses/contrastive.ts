import * as tf from '@tensorflow/tfjs';

/**
 * Contrastive losses as pure functions of embeddings ([N, D] rows, one per sample). Each
 * follows the reference implementation named in its comment, so its value and gradients
 * match that code.
 */

/** Rows divided by their L2 norm, the norm floored at `eps` (torch.nn.functional.normalize). */
export function l2Normalize(x: tf.Tensor2D, eps = 1e-12): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), eps)) as tf.Tensor2D);
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

export interface ContrastiveResult {
  loss: tf.Scalar;
  /** The logits whose diagonal holds the positives, for accuracy metrics. */
  logits: tf.Tensor2D;
}

/**
 * CLIP's symmetric InfoNCE (SLIP's CLIPLoss): logits = scale · îᵀt̂ over L2-normalised
 * image and text embeddings; the mean of the image→text and text→image cross-entropies.
 * `logits` is logits_per_image.
 */
export function clipLoss(image: tf.Tensor2D, text: tf.Tensor2D, logitScale: tf.Scalar | number): ContrastiveResult {
  return tf.tidy(() => {
    const logits = tf.mul(tf.matMul(l2Normalize(image), l2Normalize(text), false, true), logitScale) as tf.Tensor2D;
    const loss = tf.div(tf.add(diagonalCrossEntropy(logits), diagonalCrossEntropy(tf.transpose(logits))), 2) as tf.Scalar;
    return { loss, logits };
  });
}

/** Added to the self-similarity logits to remove them from the softmax (SLIP uses 1e9). */
const SELF_MASK = 1e9;

/**
 * SimCLR's NT-Xent exactly as SLIP computes it (SIMCLRLoss): over L2-normalised a, b,
 * row i of view a is scored against [a·bᵀ | a·aᵀ]/τ, its own self-similarity pushed to
 * −1e9, with the positive at column i; likewise for view b; the loss is the mean of the
 * two cross-entropies (so every one of the 2N samples counts once). `logits` is [ab | aa].
 */
export function ntXentLoss(a: tf.Tensor2D, b: tf.Tensor2D, temperature: number): ContrastiveResult {
  return tf.tidy(() => {
    const qa = l2Normalize(a);
    const qb = l2Normalize(b);
    const mask = tf.mul(tf.eye(a.shape[0]), SELF_MASK);
    const sim = (x: tf.Tensor2D, y: tf.Tensor2D) => tf.div(tf.matMul(x, y, false, true), temperature) as tf.Tensor2D;
    const logitsA = tf.concat([sim(qa, qb), tf.sub(sim(qa, qa), mask)], 1) as tf.Tensor2D;
    const logitsB = tf.concat([sim(qb, qa), tf.sub(sim(qb, qb), mask)], 1) as tf.Tensor2D;
    const loss = tf.div(tf.add(diagonalCrossEntropy(logitsA), diagonalCrossEntropy(logitsB)), 2) as tf.Scalar;
    return { loss, logits: logitsA };
  });
}

/**
 * MoCo v3's contrastive loss (moco/builder.py, contrastive_loss): InfoNCE of queries q
 * against keys k over L2-normalised rows, logits q̂·k̂ᵀ/τ with the positive on the diagonal,
 * multiplied by 2τ as the official code does (it keeps the gradient scale independent of τ).
 */
export function mocoInfoNceLoss(q: tf.Tensor2D, k: tf.Tensor2D, temperature: number): ContrastiveResult {
  return tf.tidy(() => {
    const logits = tf.div(tf.matMul(l2Normalize(q), l2Normalize(k), false, true), temperature) as tf.Tensor2D;
    const loss = tf.mul(diagonalCrossEntropy(logits), 2 * temperature) as tf.Scalar;
    return { loss, logits };
  });
}

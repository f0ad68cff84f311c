import * as tf from '@tensorflow/tfjs';
import { type Evaluation, minimizeLbfgs, type LbfgsResult } from './lbfgs';

/** A fitted multinomial logistic regression: logits = x·weight + bias. */
export interface LogisticModel {
  /** [D, C] */
  weight: tf.Tensor2D;
  /** [C] */
  bias: tf.Tensor1D;
}

export interface LogisticFitOptions {
  numClasses: number;
  /**
   * L2 strength λ on the weights (not the bias) in
   * mean cross-entropy + λ/2·‖W‖². scikit-learn's C is 1 / (λ·N).
   */
  l2: number;
  maxIterations: number;
  gradientTolerance: number;
  /** Starting point (e.g. the solution for a neighbouring λ); zeros otherwise. */
  warmStart?: Float64Array;
}

export interface LogisticFit {
  model: LogisticModel;
  /** Flat parameters [weight row-major, bias], to warm-start the next fit. */
  parameters: Float64Array;
  optimisation: Omit<LbfgsResult, 'x'>;
}

/**
 * The loss and its analytic gradient at `params`, packed as one tensor [value, ∇W row-major,
 * ∇b] so that one read brings both back from the device.
 */
function lossAndGradient(features: tf.Tensor2D, targets: tf.Tensor2D, params: Float64Array, l2: number): tf.Tensor1D {
  const [n, d] = features.shape;
  const c = targets.shape[1];
  return tf.tidy(() => {
    const flat = tf.tensor1d(Float32Array.from(params));
    const w = flat.slice(0, d * c).reshape([d, c]) as tf.Tensor2D;
    const b = flat.slice(d * c, c);
    const logProbs = tf.logSoftmax(tf.add(tf.matMul(features, w), b));
    const crossEntropy = tf.neg(tf.mean(tf.sum(tf.mul(targets, logProbs), 1)));
    const penalty = tf.mul(0.5 * l2, tf.sum(tf.square(w)));
    const residual = tf.div(tf.sub(tf.exp(logProbs), targets), n);
    const gradW = tf.add(tf.matMul(features, residual, true, false), tf.mul(l2, w));
    const gradB = tf.sum(residual, 0);
    return tf.concat([tf.add(crossEntropy, penalty).reshape([1]), gradW.reshape([-1]), gradB]) as tf.Tensor1D;
  });
}

/**
 * Softmax regression with an L2 penalty, fitted by full-batch L-BFGS: the convex problem
 * scikit-learn's LogisticRegression(solver="lbfgs") solves, so the optimum (and the
 * predicted probabilities) can be checked against it. The loss and its analytic gradient
 * run on tensors and come back in one asynchronous read per evaluation (tfjs-backend-webgpu
 * cannot read synchronously in Node); L-BFGS keeps its state in Float64 arrays.
 *
 * @param features [N, D] (standardise them first: L-BFGS converges far faster)
 * @param labels class indices in [0, numClasses)
 */
export async function fitLogisticRegression(features: tf.Tensor2D, labels: Int32Array, options: LogisticFitOptions): Promise<LogisticFit> {
  const [n, d] = features.shape;
  const c = options.numClasses;
  if (labels.length !== n) throw new Error(`fitLogisticRegression: ${labels.length} labels for ${n} rows`);
  const targets = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), c).toFloat() as tf.Tensor2D);
  const objective = async (params: Float64Array): Promise<Evaluation> => {
    const packed = lossAndGradient(features, targets, params, options.l2);
    try {
      const read = await packed.data();
      return { value: read[0], gradient: Float64Array.from(read.subarray(1)) };
    } finally {
      packed.dispose();
    }
  };
  try {
    const start = options.warmStart ?? new Float64Array(d * c + c);
    const { x, ...optimisation } = await minimizeLbfgs(objective, start, {
      maxIterations: options.maxIterations,
      gradientTolerance: options.gradientTolerance,
    });
    const flat = Float32Array.from(x);
    const model: LogisticModel = {
      weight: tf.tensor2d(flat.subarray(0, d * c), [d, c]),
      bias: tf.tensor1d(flat.subarray(d * c)),
    };
    return { model, parameters: x, optimisation };
  } finally {
    targets.dispose();
  }
}

/** Class logits [N, C] of a fitted model. */
export function logisticLogits(model: LogisticModel, features: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.matMul(features, model.weight), model.bias));
}

export function disposeLogisticModel(model: LogisticModel): void {
  tf.dispose([model.weight, model.bias]);
}

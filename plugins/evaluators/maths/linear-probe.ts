import * as tf from '@tensorflow/tfjs';
import { columnStats, DataError, disposeColumnStats, type Logger, Rng, standardize } from '../../../core/toolkit';
import { ClassificationTally } from './classification-tally';
import { disposeLogisticModel, fitLogisticRegression, logisticLogits, type LogisticFit } from './logistic-regression';

export interface LabelledFeatures {
  /** [N, D] */
  features: tf.Tensor2D;
  labels: Int32Array;
}

export interface LinearProbeOptions {
  numClasses: number;
  /** L2 strengths λ tried (mean cross-entropy + λ/2·‖W‖²); the best on the validation split wins. */
  weightDecays: readonly number[];
  /** Fraction of the training features held out to choose λ. */
  validationFraction: number;
  maxIterations: number;
  gradientTolerance: number;
  /** Seeds the train/validation split. */
  seed: number;
  topK: readonly number[];
  meanPerClass: boolean;
  log: Logger;
}

export interface LinearProbeResult {
  /** top<k> (and top<k>_mean_per_class) on the test features. */
  metrics: Record<string, number>;
  /** The λ chosen. */
  weightDecay: number;
  /** Validation top-1 for each λ tried (empty when only one was given). */
  validationTop1: Map<number, number>;
}

function rowsOf(data: LabelledFeatures, indices: Int32Array): LabelledFeatures {
  return {
    features: tf.tidy(() => tf.gather(data.features, tf.tensor1d(indices, 'int32'))),
    labels: Int32Array.from(indices, (i) => data.labels[i]),
  };
}

/** Features whose spread is below this are only centred (constant features stay 0). */
const MIN_STD = 1e-6;

/** Standardises with statistics of `fitOn`, fits a logistic regression, returns it with the standardised eval features. */
async function fitStandardized<T>(
  fitOn: LabelledFeatures,
  l2: number,
  options: LinearProbeOptions,
  warmStart: Float64Array | undefined,
  use: (fit: LogisticFit, standardizeRows: (x: tf.Tensor2D) => tf.Tensor2D) => Promise<T>,
): Promise<T> {
  const scaler = columnStats(fitOn.features, { minStd: MIN_STD });
  const x = standardize(fitOn.features, scaler);
  try {
    const fit = await fitLogisticRegression(x, fitOn.labels, {
      numClasses: options.numClasses,
      l2,
      maxIterations: options.maxIterations,
      gradientTolerance: options.gradientTolerance,
      warmStart,
    });
    try {
      options.log.debug(`λ=${l2}: ${fit.optimisation.iterations} L-BFGS iterations (${fit.optimisation.reason}), loss ${fit.optimisation.value.toFixed(5)}`);
      return await use(fit, (rows) => standardize(rows, scaler));
    } finally {
      disposeLogisticModel(fit.model);
    }
  } finally {
    x.dispose();
    disposeColumnStats(scaler);
  }
}

async function score(fit: LogisticFit, features: tf.Tensor2D, labels: Int32Array, tally: ClassificationTally): Promise<void> {
  const logits = logisticLogits(fit.model, features);
  try {
    await tally.add(logits, labels);
  } finally {
    logits.dispose();
  }
}

/**
 * The linear-probe protocol: choose the L2 strength on a held-out split of the training
 * features (strongest λ wins ties), refit on all training features, score the test
 * features. Features are standardised with statistics of the set each model is fitted on.
 */
export async function linearProbe(train: LabelledFeatures, test: LabelledFeatures, options: LinearProbeOptions): Promise<LinearProbeResult> {
  if (options.weightDecays.length === 0) throw new Error('linearProbe: no weight decays to try');
  const candidates = [...options.weightDecays].sort((a, b) => b - a);
  const validationTop1 = new Map<number, number>();
  let chosen = candidates[0];
  let warmStart: Float64Array | undefined;
  if (candidates.length > 1) {
    const n = train.labels.length;
    const nValidation = Math.round(n * options.validationFraction);
    if (nValidation < 1 || nValidation >= n) {
      throw new DataError(`linear probe: ${n} training samples cannot give a validation split of ${options.validationFraction}`);
    }
    const order = Int32Array.from(Rng.derive(options.seed, 'linear-probe-split').shuffle([...Array(n).keys()]));
    const validation = rowsOf(train, order.subarray(0, nValidation));
    const fitPart = rowsOf(train, order.subarray(nValidation));
    try {
      let best = -1;
      for (const l2 of candidates) {
        warmStart = await fitStandardized(fitPart, l2, options, warmStart, async (fit, standardizeRows) => {
          const tally = new ClassificationTally(options.numClasses, [1]);
          const x = standardizeRows(validation.features);
          try {
            await score(fit, x, validation.labels, tally);
          } finally {
            x.dispose();
          }
          const top1 = tally.metrics().top1;
          validationTop1.set(l2, top1);
          if (top1 > best) {
            best = top1;
            chosen = l2;
          }
          return fit.parameters;
        });
      }
    } finally {
      tf.dispose([validation.features, fitPart.features]);
    }
    options.log.info(
      `linear probe: λ=${chosen} chosen (validation top-1 ${[...validationTop1].map(([l, a]) => `${l}: ${a.toFixed(4)}`).join(', ')})`,
    );
  }
  const metrics = await fitStandardized(train, chosen, options, undefined, async (fit, standardizeRows) => {
    const tally = new ClassificationTally(options.numClasses, options.topK, options.meanPerClass);
    const x = standardizeRows(test.features);
    try {
      await score(fit, x, test.labels, tally);
    } finally {
      x.dispose();
    }
    return tally.metrics();
  });
  return { metrics, weightDecay: chosen, validationTop1 };
}

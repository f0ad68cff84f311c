import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { Logger } from '../../core/logger';
import { Rng } from '../../core/random';
import { linearProbe, type LabelledFeatures, type LinearProbeResult } from '../../plugins/evaluators/maths/linear-probe';
import { disposeLogisticModel, fitLogisticRegression, logisticLogits } from '../../plugins/evaluators/maths/logistic-regression';
import { assertFlatTensorCount } from '../helpers/memory';
import { describeOnWebgpu } from '../helpers/webgpu';

const NUM_CLASSES = 3;
const DIM = 6;

/** Gaussian blobs, one per class, overlapping enough that the fit is not separable (a finite optimum). */
function blobs(seed: number, n: number): { rows: Float32Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const centres = Array.from({ length: NUM_CLASSES }, () => Array.from({ length: DIM }, () => rng.normal()));
  const rows = new Float32Array(n * DIM);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % NUM_CLASSES;
    for (let j = 0; j < DIM; j++) rows[i * DIM + j] = centres[labels[i]][j] + 1.5 * rng.normal();
  }
  return { rows, labels };
}

const train = blobs(11, 150);
const test = blobs(12, 60);
const FIT = { numClasses: NUM_CLASSES, l2: 1e-2, maxIterations: 500, gradientTolerance: 1e-6 };

interface LogisticRun {
  parameters: Float64Array;
  /** Test probabilities [N·C], row-major. */
  probabilities: Float32Array;
  /** The loss at the end. */
  value: number;
  reason: string;
}

/** Fits on `backend` and reads the test probabilities with an asynchronous read only. */
async function fitOn(backend: string, maxIterations = FIT.maxIterations): Promise<LogisticRun> {
  await tf.setBackend(backend);
  const x = tf.tensor2d(train.rows, [train.labels.length, DIM]);
  const xTest = tf.tensor2d(test.rows, [test.labels.length, DIM]);
  const fit = await fitLogisticRegression(x, train.labels, { ...FIT, maxIterations });
  const probs = tf.tidy(() => tf.softmax(logisticLogits(fit.model, xTest)));
  const probabilities = (await probs.data()) as Float32Array;
  disposeLogisticModel(fit.model);
  tf.dispose([x, xTest, probs]);
  return { parameters: fit.parameters, probabilities, value: fit.optimisation.value, reason: fit.optimisation.reason };
}

const largest = (a: Float64Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** |gpu − cpu| ≤ rtol·cpu + atol for every probability. */
function assertProbabilitiesClose(gpu: Float32Array, cpu: Float32Array, rtol: number, atol: number): void {
  assert.equal(gpu.length, cpu.length);
  cpu.forEach((p, i) => assert.ok(Math.abs(gpu[i] - p) <= rtol * p + atol, `probability ${i}: ${gpu[i]} vs ${p} on cpu`));
}

const quiet = new Logger('silent');

/** The whole probe protocol (λ sweep on a validation split, refit, test metrics) on `backend`. */
async function probeOn(backend: string): Promise<LinearProbeResult> {
  await tf.setBackend(backend);
  const asFeatures = (set: { rows: Float32Array; labels: Int32Array }): LabelledFeatures => ({
    features: tf.tensor2d(set.rows, [set.labels.length, DIM]),
    labels: set.labels,
  });
  const [trainSet, testSet] = [asFeatures(train), asFeatures(test)];
  try {
    return await linearProbe(trainSet, testSet, {
      ...FIT,
      weightDecays: [1e-1, 1e-3],
      validationFraction: 0.2,
      seed: 5,
      topK: [1, 2],
      meanPerClass: true,
      log: quiet,
    });
  } finally {
    tf.dispose([trainSet.features, testSet.features]);
  }
}

// Real WebGPU (Dawn) on lavapipe. The L-BFGS objective used to read the loss and gradient with
// dataSync, which tfjs-backend-webgpu cannot do in Node (OffscreenCanvas is not defined).
describeOnWebgpu('the linear probe', () => {
  let previous: string;
  before(() => (previous = tf.getBackend()));
  afterEach(async () => tf.setBackend(previous));

  // Each backend evaluates the loss and gradient in float32 with its own summation order, so
  // the L-BFGS paths part by rounding only, and slowly: after 8 iterations they were measured
  // 1e-6 relative apart (parameters and probabilities). The tolerances leave ten times that
  // or more for other adapters, and still catch a wrong gradient, which moves the first step.
  it("follows the cpu backend's first 8 L-BFGS iterates", async () => {
    const gpu = await fitOn('webgpu', 8);
    const cpu = await fitOn('cpu', 8);
    const scale = largest(cpu.parameters);
    cpu.parameters.forEach((v, i) => assert.ok(Math.abs(gpu.parameters[i] - v) <= 1e-5 * scale, `parameter ${i}: ${gpu.parameters[i]} vs ${v} on cpu`));
    assertProbabilitiesClose(gpu.probabilities, cpu.probabilities, 1e-4, 0);
  });

  // Converged, the two agree only as far as float32 pins the optimum down: a fit stops when its
  // float32 loss stops decreasing, and the loss is flat near the optimum (second order), so
  // where it stops depends on the path. The cpu backend started elsewhere lands 2.3e-4 away
  // from itself in probability (1e-2 in parameters); webgpu landed 1.6e-4 from cpu. So the
  // probabilities are held to 1e-3 absolute, and the loss, flat there, to 1e-6 relative.
  it("converges to the cpu backend's optimum, to float32's resolution of it", async () => {
    const gpu = await fitOn('webgpu');
    const cpu = await fitOn('cpu');
    for (const run of [gpu, cpu]) assert.ok(run.reason === 'gradient' || run.reason === 'decrease', `stopped by ${run.reason}`);
    assert.ok(Math.abs(gpu.value - cpu.value) <= 1e-6 * cpu.value, `loss ${gpu.value} vs ${cpu.value} on cpu`);
    assertProbabilitiesClose(gpu.probabilities, cpu.probabilities, 0, 1e-3);
  });

  it("chooses the cpu backend's λ and reaches its test metrics", async () => {
    const gpu = await probeOn('webgpu');
    const cpu = await probeOn('cpu');
    assert.equal(gpu.weightDecay, cpu.weightDecay);
    assert.deepEqual(gpu.validationTop1, cpu.validationTop1);
    // Counts of correct predictions: equal unless a test point sits within rounding of a boundary.
    assert.deepEqual(gpu.metrics, cpu.metrics);
    assert.ok(cpu.metrics.top1 > 1 / NUM_CLASSES, `test top-1 ${cpu.metrics.top1}`);
  });

  it('keeps the tensor count flat on webgpu', async () => {
    await tf.setBackend('webgpu');
    const x = tf.tensor2d(train.rows, [train.labels.length, DIM]);
    await assertFlatTensorCount(2, async () => {
      const fit = await fitLogisticRegression(x, train.labels, { ...FIT, maxIterations: 10 });
      disposeLogisticModel(fit.model);
    });
    x.dispose();
  });
});

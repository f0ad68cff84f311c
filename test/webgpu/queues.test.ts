import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import type { AnyPluginDefinition } from '../../core/plugins/define';
import nnclr from '../../plugins/objectives/nnclr';
import swav from '../../plugins/objectives/swav';
import { buildObjective, disposeObjective, fixedInputs, randomInputs, stateVariable } from '../plugins/objectives/support/harness';
import { describeOnWebgpu } from '../helpers/webgpu';

interface QueueRun {
  losses: number[];
  /** The queue at the end (empty without one). */
  queue: Float32Array;
}

/**
 * Trains the objective's own variables for `steps` SGD steps on `backend`, reading every value
 * with an asynchronous read only (tfjs-backend-webgpu cannot read synchronously in Node), and
 * returns the losses and the queue at the end.
 */
async function train(definition: AnyPluginDefinition, options: Record<string, unknown>, keys: readonly string[], backend: string, steps: number): Promise<QueueRun> {
  await tf.setBackend(backend);
  const objective = buildObjective(definition, options);
  const vars = objective.variables().map((v) => v.variable);
  const losses: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      const inputs = randomInputs(keys, 8, 16, 10 * step + 1);
      const { value, grads } = tf.variableGrads(() => objective.compute(fixedInputs(inputs, step, steps)).loss, vars);
      tf.tidy(() => vars.forEach((v) => v.assign(tf.sub(v, tf.mul(grads[v.name], 0.05)))));
      objective.afterStep?.();
      losses.push((await value.data())[0]);
      tf.dispose([value, ...Object.values(grads), ...inputs.values()]);
    }
    const hasQueue = (objective.state?.() ?? []).some((s) => s.name === 'queue');
    return { losses, queue: hasQueue ? ((await stateVariable(objective, 'queue').data()) as Float32Array) : new Float32Array(0) };
  } finally {
    disposeObjective(objective);
  }
}

function assertSameRun(gpu: QueueRun, cpu: QueueRun): void {
  gpu.losses.forEach((l, i) => assert.ok(Math.abs(l - cpu.losses[i]) <= 1e-4 * Math.max(1, Math.abs(cpu.losses[i])), `step ${i}: loss ${l} on webgpu vs ${cpu.losses[i]} on cpu`));
  let largest = 0;
  cpu.queue.forEach((v, i) => (largest = Math.max(largest, Math.abs(v - gpu.queue[i]))));
  assert.ok(largest <= 1e-4, `the queues differ by ${largest}`);
}

// Real WebGPU (Dawn) on lavapipe. The queue objectives used to read their state back
// synchronously (NNCLR's neighbour indices and pointer, SwAV's "is the queue full"), which
// tfjs-backend-webgpu cannot do in Node; now all of it stays on the device.
describeOnWebgpu('objectives with a queue of past embeddings', () => {
  let previous: string;
  before(() => (previous = tf.getBackend()));
  afterEach(async () => tf.setBackend(previous));

  it("nnclr: 7 steps, its ring queue wrapping twice, follow the cpu backend's losses and queue (1e-4)", async () => {
    const options = { inputDim: 16, projector: { hidden: [32, 32], out: 12 }, predictor: { hidden: [20] }, queueSize: 24 };
    const keys = ['features.0', 'features.1'];
    assertSameRun(await train(nnclr, options, keys, 'webgpu', 7), await train(nnclr, options, keys, 'cpu', 7));
  });

  it("swav: 4 steps, its queue filling and then used, follow the cpu backend's losses and queue (1e-4)", async () => {
    const options = { inputDim: 16, projector: { hidden: [32], out: 12 }, prototypes: 10, views: ['g', 'g', 'l'], freezePrototypesSteps: 0, queueSize: 16 };
    const keys = ['features.0', 'features.1', 'features.2'];
    const gpu = await train(swav, options, keys, 'webgpu', 4);
    const cpu = await train(swav, options, keys, 'cpu', 4);
    assertSameRun(gpu, cpu);
    // Batch 8 into 16 rows: the queue joins the codes from step 2 on, and only then.
    const noQueue = await train(swav, { ...options, queueSize: 0 }, keys, 'webgpu', 4);
    assert.deepEqual(gpu.losses.slice(0, 2), noQueue.losses.slice(0, 2));
    gpu.losses.slice(2).forEach((l, i) => assert.notEqual(l, noQueue.losses[2 + i], `step ${2 + i} used the full queue`));
  });
});

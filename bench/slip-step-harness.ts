/**
 * The SLIP training step that bench/slip-step.ts times and bench/profile-step.ts profiles:
 * the model of bench/specs/slip-<model>.json, random images, fixed captions, one plain
 * step (three image views, the text tower, CLIP + SimCLR) and an AdamW update.
 */
import 'reflect-metadata';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../core/data/loader';
import { buildExperiment, trainableParams } from '../core/engine/experiment';
import { AdamW, type AdamWOptions } from '../core/engine/optim/adamw';
import { disposeStepBatch, prepareStepBatch } from '../core/engine/prepare-batch';
import { plainStep } from '../core/engine/step';
import { Logger } from '../core/logger';
import { PluginRegistry } from '../core/plugins/registry';
import { Rng } from '../core/random';
import { resolveExperiment } from '../core/spec/resolve';
import { builtinPlugins } from '../plugins/index';

/** Milliseconds spent in each phase of the last step. */
export interface StepPhases {
  prepare: number;
  forwardBackward: number;
  optimizer: number;
}

/**
 * Builds the benchmark model on `backend` and returns a function that runs one step; it calls
 * `onPhaseEnd` (if given) as each phase ends, e.g. to split a profile by phase.
 */
export async function benchStep(model: string, batch: number, backend: string): Promise<(onPhaseEnd?: (phase: keyof StepPhases) => void) => Promise<StepPhases>> {
  const registry = new PluginRegistry();
  registry.registerAll(builtinPlugins, 'builtin');
  const spec = path.resolve(__dirname, '..', '..', 'bench', 'specs', `slip-${model}.json`);
  const loaded = resolveExperiment(spec, registry, [`backend=${backend}`, `train.batchSize=${batch}`]);
  const exp = await buildExperiment(loaded, registry, new Logger('warn'), { withTracker: false });
  const params = trainableParams(exp);
  // --adamw slipkit|tensorflow-fused compares the optimizer implementations (default: auto).
  const implementation = benchArg('adamw', 'auto') as AdamWOptions['implementation'];
  const opt = new AdamW(params, { betas: [0.9, 0.98], eps: 1e-8, weightDecay: 0.1, implementation });
  const size = exp.spec.data.imageSize;
  const rng = new Rng(0);
  const captions = Array.from({ length: batch }, (_, i) => `a photo of a small red circle number ${i} on the left of a blue square`);
  return async (onPhaseEnd) => {
    const images = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const fake: Batch = { images, captions, labels: new Int32Array(batch).fill(-1), keys: captions, position: { epoch: 0, offset: 0 } };
    let t = performance.now();
    const sb = prepareStepBatch(exp, fake, rng);
    images.dispose();
    const prepare = performance.now() - t;
    onPhaseEnd?.('prepare');
    t = performance.now();
    const out = await plainStep({ model: exp.model, slots: exp.slots, params, step: 0, totalSteps: 100 }, sb);
    disposeStepBatch(sb);
    const forwardBackward = performance.now() - t;
    onPhaseEnd?.('forwardBackward');
    t = performance.now();
    opt.apply(out.grads, 1e-4);
    tf.dispose([...out.grads.values()]);
    const optimizer = performance.now() - t;
    onPhaseEnd?.('optimizer');
    return { prepare, forwardBackward, optimizer };
  };
}

/** `--name value` from the command line, or `fallback`. */
export const benchArg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

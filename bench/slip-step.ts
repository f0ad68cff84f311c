/**
 * SLIP training-step benchmark: CLIP + SimCLR, three image-encoder passes per step, AdamW.
 * For each backend (each in its own child process, so peak memory is the step's own), it
 * prints ms/step, img/s and peak RSS, next to a PyTorch implementation of the same model run
 * in the same invocation (bench/slip_step_torch.py, with .venv's torch), and the ratio.
 *
 *   node dist/bench/slip-step.js [--model small|vits16] [--batch 64] [--steps 3] [--backends tensorflow,wasm,cpu]
 */
import 'reflect-metadata';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { probeBackends } from '../core/backend';
import type { Batch } from '../core/data/loader';
import { buildExperiment, trainableParams } from '../core/engine/experiment';
import { AdamW } from '../core/engine/optim/adamw';
import { disposeStepBatch, prepareStepBatch } from '../core/engine/prepare-batch';
import { plainStep } from '../core/engine/step';
import { Logger } from '../core/logger';
import { PluginRegistry } from '../core/plugins/registry';
import { Rng } from '../core/random';
import { resolveExperiment } from '../core/spec/resolve';
import { builtinPlugins } from '../plugins/index';

interface Figures {
  msPerStep: number;
  imgPerSec: number;
  peakGiB: number;
}

const root = path.resolve(__dirname, '..', '..');
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

/** Runs in a child: times `steps` SLIP steps (after one warm-up) on one backend. */
async function child(backend: string, model: string, batch: number, steps: number): Promise<Figures> {
  const registry = new PluginRegistry();
  registry.registerAll(builtinPlugins, 'builtin');
  const spec = path.join(root, 'bench', 'specs', `slip-${model}.json`);
  const loaded = resolveExperiment(spec, registry, [`backend=${backend}`, `train.batchSize=${batch}`]);
  const log = new Logger('warn');
  const exp = await buildExperiment(loaded, registry, log, { withTracker: false });
  const params = trainableParams(exp);
  const opt = new AdamW(params, { betas: [0.9, 0.98], eps: 1e-8, weightDecay: 0.1 });
  const size = exp.spec.data.imageSize;
  const rng = new Rng(0);
  const captions = Array.from({ length: batch }, (_, i) => `a photo of a small red circle number ${i} on the left of a blue square`);
  const one = (): void => {
    const images = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const fake: Batch = { images, captions, labels: new Int32Array(batch).fill(-1), keys: captions, position: { epoch: 0, offset: 0 } };
    const sb = prepareStepBatch(exp, fake, rng);
    images.dispose();
    const out = plainStep({ model: exp.model, slots: exp.slots, params, step: 0, totalSteps: 100 }, sb);
    disposeStepBatch(sb);
    opt.apply(out.grads, 1e-4);
    tf.dispose([...out.grads.values()]);
  };
  one();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) one();
  const ms = (performance.now() - t0) / steps;
  return { msPerStep: ms, imgPerSec: (batch * 1000) / ms, peakGiB: process.resourceUsage().maxRSS / 2 ** 20 };
}

function runChild(backend: string, model: string, batch: number, steps: number): Figures | string {
  const r = spawnSync(process.execPath, [__filename, '--child', backend, '--model', model, '--batch', String(batch), '--steps', String(steps)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Figures;
  } catch {
    return (r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${r.status}`).slice(0, 120);
  }
}

function runTorch(model: string, batch: number, steps: number): Figures | string {
  const python = path.join(root, '.venv', 'bin', 'python');
  if (!fs.existsSync(python)) return 'no .venv with torch (python3 -m venv .venv && .venv/bin/pip install torch==2.13.0)';
  try {
    const out = execFileSync(python, [path.join(root, 'bench', 'slip_step_torch.py'), '--model', model, '--batch', String(batch), '--steps', String(steps)], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop()!) as Figures;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

async function main(): Promise<void> {
  const model = arg('model', 'small');
  const batch = Number(arg('batch', model === 'small' ? '64' : '8'));
  const steps = Number(arg('steps', '3'));
  if (process.argv.includes('--child')) {
    const backend = process.argv[process.argv.indexOf('--child') + 1];
    process.stdout.write(JSON.stringify(await child(backend, model, batch, steps)) + '\n');
    return;
  }
  const available = (await probeBackends()).filter((p) => p.available).map((p) => p.name as string);
  const wanted = arg('backends', available.filter((b) => b !== 'cpu' || model !== 'vits16').join(',')).split(',');
  process.stdout.write(`SLIP step (CLIP + SimCLR, 3 image passes), model ${model}, batch ${batch}, ${steps} timed steps after 1 warm-up\n`);
  const torch = runTorch(model, batch, steps);
  const rows: Array<[string, Figures | string]> = [['pytorch (cpu)', torch]];
  for (const b of wanted) rows.push([`slipkit ${b}`, runChild(b, model, batch, steps)]);
  process.stdout.write(`${'implementation'.padEnd(22)}${'ms/step'.padStart(10)}${'img/s'.padStart(9)}${'peak GiB'.padStart(10)}${'time ×torch'.padStart(13)}${'mem ×torch'.padStart(12)}\n`);
  for (const [name, f] of rows) {
    if (typeof f === 'string') {
      process.stdout.write(`${name.padEnd(22)}  failed: ${f}\n`);
      continue;
    }
    const t = typeof torch === 'string' ? undefined : torch;
    const ratio = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(2));
    process.stdout.write(
      `${name.padEnd(22)}${f.msPerStep.toFixed(0).padStart(10)}${f.imgPerSec.toFixed(1).padStart(9)}${f.peakGiB.toFixed(2).padStart(10)}${ratio(t && f.msPerStep / t.msPerStep).padStart(13)}${ratio(t && f.peakGiB / t.peakGiB).padStart(12)}\n`,
    );
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});

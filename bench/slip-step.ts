/**
 * SLIP training-step benchmark: CLIP + SimCLR, three image views per step, AdamW.
 * For each backend (each in its own child process, so peak memory is the step's own), it
 * prints ms/step, img/s and peak RSS, next to a PyTorch implementation of the same model run
 * in the same invocation (bench/slip_step_torch.py, with .venv's torch), and the ratio.
 *
 * With --rounds N, PyTorch and each backend run N times, interleaved (torch, slipkit, torch,
 * slipkit, …) so that a neighbour's load hits both alike; the table shows medians and the
 * spread of the per-round time ratios. A machine line gives the CPU and each framework's
 * square-matmul rate, since the ratio depends on how fast each one's BLAS is on that CPU.
 *
 *   node dist/bench/slip-step.js [--model small|vits16] [--batch 64] [--steps 3] [--rounds 1] [--backends tensorflow,wasm,cpu]
 *                                [--adamw auto|tf-ops|tensorflow-fused]
 *   node dist/bench/slip-step.js --count [--model small] [--batch 8] [--steps 2]
 *
 * --count runs on webgpu only, in this process, and prints the compute dispatches and queue
 * submissions per step (bench/dispatch-count.ts) with the step time: on any adapter, lavapipe
 * included, the device-free measure of per-step overhead. SLIPKIT_FUSED_OPS=0 counts the
 * reference formulations instead of the WGSL kernels.
 */
import 'reflect-metadata';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { measureMatmulRate, probeBackends } from '../core/backend';
import { countWebgpuWork } from './dispatch-count';
import { benchArg as arg, benchStep } from './slip-step-harness';

interface Figures {
  msPerStep: number;
  imgPerSec: number;
  peakGiB: number;
  /** 1024² float32 matmul rate of the same process, after the timed steps. */
  matmulGflops?: number;
}

const root = path.resolve(__dirname, '..', '..');

/** Runs in a child: times `steps` SLIP steps (after one warm-up) on one backend. */
async function child(backend: string, model: string, batch: number, steps: number): Promise<Figures> {
  const one = await benchStep(model, batch, backend);
  await one();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await one();
  const ms = (performance.now() - t0) / steps;
  const peakGiB = process.resourceUsage().maxRSS / 2 ** 20;
  const matmul = await measureMatmulRate(1024, 500);
  return { msPerStep: ms, imgPerSec: (batch * 1000) / ms, peakGiB, matmulGflops: matmul.gflops };
}

function runChild(backend: string, model: string, batch: number, steps: number): Figures | string {
  const args = [__filename, '--child', backend, '--model', model, '--batch', String(batch), '--steps', String(steps), '--adamw', arg('adamw', 'auto')];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
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

/** --count: dispatches and submissions per step on webgpu, after one warm-up step. */
async function countOnWebgpu(model: string, batch: number, steps: number): Promise<void> {
  const one = await benchStep(model, batch, 'webgpu');
  await one();
  const read = countWebgpuWork();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const phases = await one();
    const ms = performance.now() - t0;
    const { dispatches, submits } = read();
    process.stdout.write(
      `step ${i + 1}: ${dispatches} dispatches, ${submits} submits, ${ms.toFixed(0)} ms (prepare ${phases.prepare.toFixed(0)}, forward+backward ${phases.forwardBackward.toFixed(0)}, optimizer ${phases.optimizer.toFixed(0)})\n`,
    );
  }
  // tfjs-backend-webgpu's own accounting: bytes its live tensors use, and bytes its buffer pool holds (the peak it reached).
  const memory = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesAllocatedInGPU?: number };
  process.stdout.write(`GPU memory: ${gib(memory.numBytesInGPU)} GiB in tensors, ${gib(memory.numBytesAllocatedInGPU)} GiB allocated by the buffer pool; ${memory.numTensors} tensors\n`);
}

const gib = (bytes: number | undefined): string => (bytes === undefined ? '?' : (bytes / 2 ** 30).toFixed(3));

async function main(): Promise<void> {
  const model = arg('model', 'small');
  const batch = Number(arg('batch', model === 'small' ? '64' : '8'));
  const steps = Number(arg('steps', '3'));
  if (process.argv.includes('--count')) {
    process.stdout.write(`SLIP step on webgpu (${process.env.SLIPKIT_FUSED_OPS === '0' ? 'reference formulations' : 'fused kernels'}), model ${model}, batch ${batch}\n`);
    await countOnWebgpu(model, batch, steps);
    return;
  }
  if (process.argv.includes('--child')) {
    const backend = process.argv[process.argv.indexOf('--child') + 1];
    process.stdout.write(JSON.stringify(await child(backend, model, batch, steps)) + '\n');
    return;
  }
  const available = (await probeBackends()).filter((p) => p.available).map((p) => p.name as string);
  const wanted = arg('backends', available.filter((b) => b !== 'cpu' || model !== 'vits16').join(',')).split(',');
  const rounds = Math.max(1, Number(arg('rounds', '1')));
  process.stdout.write(`SLIP step (CLIP + SimCLR, 3 image views), model ${model}, batch ${batch}, ${steps} timed steps after 1 warm-up, ${rounds} round(s)\n`);
  const names = ['pytorch (cpu)', ...wanted.map((b) => `slipkit ${b}`)];
  const results = names.map(() => [] as Array<Figures | string>);
  for (let r = 0; r < rounds; r++) {
    results[0].push(runTorch(model, batch, steps));
    wanted.forEach((b, i) => results[i + 1].push(runChild(b, model, batch, steps)));
  }
  process.stdout.write(machineLine(names, results) + '\n');
  printTable(names, results, batch);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ok = (rows: Array<Figures | string>): Figures[] => rows.filter((f): f is Figures => typeof f !== 'string');

/** CPU model, cores, and each implementation's median 1024² matmul rate. */
function machineLine(names: string[], results: Array<Array<Figures | string>>): string {
  const cpus = os.cpus();
  const rates = names.flatMap((name, i) => {
    const gflops = ok(results[i]).flatMap((f) => (f.matmulGflops === undefined ? [] : [f.matmulGflops]));
    return gflops.length ? [`${name} ${median(gflops).toFixed(0)}`] : [];
  });
  return `machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores; matmul 1024² GFLOP/s: ${rates.join(', ') || '-'}`;
}

function printTable(names: string[], results: Array<Array<Figures | string>>, batch: number): void {
  const out = process.stdout;
  out.write(`${'implementation'.padEnd(22)}${'ms/step'.padStart(10)}${'img/s'.padStart(9)}${'peak GiB'.padStart(10)}${'time ×torch'.padStart(13)}${'mem ×torch'.padStart(12)}${'time × range'.padStart(15)}\n`);
  const torch = ok(results[0]);
  names.forEach((name, i) => {
    const figures = ok(results[i]);
    if (figures.length === 0) {
      out.write(`${name.padEnd(22)}  failed: ${results[i].find((f) => typeof f === 'string')}\n`);
      return;
    }
    const ms = median(figures.map((f) => f.msPerStep));
    const peak = Math.max(...figures.map((f) => f.peakGiB));
    const torchMs = torch.length ? median(torch.map((f) => f.msPerStep)) : undefined;
    const torchPeak = torch.length ? Math.max(...torch.map((f) => f.peakGiB)) : undefined;
    // Per-round ratios pair each run with the torch run of the same round.
    const ratios = results[i].flatMap((f, r) => {
      const t = results[0][r];
      return typeof f === 'string' || typeof t === 'string' ? [] : [f.msPerStep / t.msPerStep];
    });
    const ratio = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(2));
    const range = ratios.length > 1 ? `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}` : '-';
    out.write(
      `${name.padEnd(22)}${ms.toFixed(0).padStart(10)}${((batch * 1000) / ms).toFixed(1).padStart(9)}${peak.toFixed(2).padStart(10)}` +
        `${ratio(torchMs && ms / torchMs).padStart(13)}${ratio(torchPeak && peak / torchPeak).padStart(12)}${range.padStart(15)}\n`,
    );
  });
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});

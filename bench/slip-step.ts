/**
 * SLIP training-step benchmark: CLIP + SimCLR, three image views per step, AdamW.
 * For each backend (each in its own child process, so peak memory is the step's own, started
 * through bin/with-allocator as bin/slipkit starts the CLI), it
 * prints ms/step, img/s and peak RSS, next to the PyTorch twin of the same model run in the
 * same invocation (bench/slip_step_torch.py: fused AdamW, one ViT pass over the views), and
 * the ratios. The twin runs in each of its variants (--twin, default eager and compiled:
 * torch.compile, each also with tcmalloc preloaded where libtcmalloc-minimal4 is installed);
 * the ratios are taken against the fastest of them, the "strongest twin", which the output names.
 *
 * With --rounds N, the twins and each backend run N times, interleaved (twins, slipkit,
 * twins, slipkit, …) so that a neighbour's load hits all alike; the table shows medians and
 * the spread of the per-round time ratios (each against the fastest twin of its round). A
 * machine line gives the CPU and each framework's square-matmul rate, and a floor line the
 * step's FLOPs (its matrix products: scripts/gemm-probe.js) over the best of those rates; the
 * "× floor" column is each step time over it.
 *
 * The twin's python is $SLIPKIT_TORCH_PYTHON, else the first of .venv-bench, .venv and
 * .venv-ref in the package root that exists (`python3 -m venv .venv-bench &&
 * .venv-bench/bin/pip install torch==2.13.0 numpy`).
 *
 *   node dist/bench/slip-step.js [--model small|vits16] [--batch 64] [--steps 3] [--rounds 1] [--backends tensorflow,wasm,cpu]
 *                                [--twin eager,compiled,eager+tcmalloc,compiled+tcmalloc,three-pass] [--adamw auto|slipkit|tensorflow-fused]
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
import { measureMatmulRate, probeBackends, processAllocator } from '../core/backend';
import { countWebgpuWork } from './dispatch-count';
import { benchArg as arg, benchStep } from './slip-step-harness';

interface Figures {
  msPerStep: number;
  /** Process CPU time per step, all threads (less moved by other tenants' load than wall time). */
  cpuMsPerStep?: number;
  imgPerSec: number;
  peakGiB: number;
  /** 1024² float32 matmul rate of the same process, after the timed steps. */
  matmulGflops?: number;
  /** The twin's form (bench/slip_step_torch.py prints it). */
  variant?: string;
  /** slipkit's children: the allocator the process ran on (core/backend/allocator.ts). */
  allocator?: string;
}

/** A twin's variant: command-line flags of bench/slip_step_torch.py, and whether it runs on tcmalloc. */
interface TwinVariant {
  flags: string[];
  tcmalloc?: boolean;
}

/**
 * The twin's variants. The +tcmalloc ones start through bin/with-allocator, as slipkit's children
 * do, which preloads gperftools' tcmalloc (Debian's libtcmalloc-minimal4), as PyTorch's CPU
 * performance guides advise: PyTorch takes large tensors from malloc, which glibc maps fresh
 * (page faults) for each one, and tcmalloc keeps them.
 */
const TWINS: Record<string, TwinVariant> = {
  eager: { flags: [] },
  compiled: { flags: ['--compile'] },
  'eager+tcmalloc': { flags: [], tcmalloc: true },
  'compiled+tcmalloc': { flags: ['--compile'], tcmalloc: true },
  // The twin as it was first written: per-tensor AdamW, one ViT pass per view.
  'three-pass': { flags: ['--optimizer', 'for-loop', '--vit-passes', '3'] },
};

const LAUNCHER = path.resolve(__dirname, '..', '..', 'bin', 'with-allocator');

/**
 * This process's environment without an allocator chosen by a launcher (this bench may itself run
 * under bin/slipkit's): each child starts from it, and bin/with-allocator chooses afresh.
 */
function environmentWithoutAllocator(keepChoice: boolean): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const preload = (env.LD_PRELOAD ?? '').split(':').filter((lib) => lib && !/libtcmalloc/.test(lib));
  if (preload.length) env.LD_PRELOAD = preload.join(':');
  else delete env.LD_PRELOAD;
  delete env.SLIPKIT_ALLOCATOR_IN_USE;
  delete env.TF_ONEDNN_USE_SYSTEM_ALLOCATOR;
  if (!keepChoice) delete env.SLIPKIT_ALLOCATOR;
  return env;
}

/** Whether bin/with-allocator finds tcmalloc on this machine (it says so in SLIPKIT_ALLOCATOR_IN_USE). */
function launcherHasTcmalloc(): boolean {
  const r = spawnSync(LAUNCHER, ['/bin/sh', '-c', 'printf %s "${SLIPKIT_ALLOCATOR_IN_USE:-}"'], { encoding: 'utf8', env: environmentWithoutAllocator(false) });
  return r.status === 0 && r.stdout.startsWith('tcmalloc');
}

/** The twins run by default: eager and compiled, each also on tcmalloc where it is installed. */
function defaultTwins(): string {
  return launcherHasTcmalloc() ? 'eager,compiled,eager+tcmalloc,compiled+tcmalloc' : 'eager,compiled';
}

const root = path.resolve(__dirname, '..', '..');

/** Runs in a child: times `steps` SLIP steps (after one warm-up) on one backend. */
async function child(backend: string, model: string, batch: number, steps: number): Promise<Figures> {
  const one = await benchStep(model, batch, backend);
  await one();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) await one();
  const ms = (performance.now() - t0) / steps;
  const cpu = process.cpuUsage(c0);
  const cpuMsPerStep = (cpu.user + cpu.system) / 1000 / steps;
  const peakGiB = process.resourceUsage().maxRSS / 2 ** 20;
  const matmul = await measureMatmulRate(1024, 500);
  return { msPerStep: ms, cpuMsPerStep, imgPerSec: (batch * 1000) / ms, peakGiB, matmulGflops: matmul.gflops, allocator: processAllocator().description };
}

function runChild(backend: string, model: string, batch: number, steps: number): Figures | string {
  const args = [__filename, '--child', backend, '--model', model, '--batch', String(batch), '--steps', String(steps), '--adamw', arg('adamw', 'auto')];
  // Through bin/with-allocator, as bin/slipkit runs the CLI: the allocator users get (tcmalloc where installed).
  const r = spawnSync(LAUNCHER, [process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 24, env: environmentWithoutAllocator(true) });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Figures;
  } catch {
    return (r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${r.status}`).slice(0, 120);
  }
}

/** The python that runs the twin, or undefined. */
function torchPython(): string | undefined {
  if (process.env.SLIPKIT_TORCH_PYTHON) return process.env.SLIPKIT_TORCH_PYTHON;
  return ['.venv-bench', '.venv', '.venv-ref'].map((v) => path.join(root, v, 'bin', 'python')).find((p) => fs.existsSync(p));
}

function runTorch(twin: string, model: string, batch: number, steps: number): Figures | string {
  const python = torchPython();
  if (!python) return 'no python with torch (python3 -m venv .venv-bench && .venv-bench/bin/pip install torch==2.13.0 numpy)';
  try {
    const variant = TWINS[twin]!;
    const args = [path.join(root, 'bench', 'slip_step_torch.py'), '--model', model, '--batch', String(batch), '--steps', String(steps), ...variant.flags];
    // The +tcmalloc variants start through the launcher slipkit's children use; the others keep glibc's malloc.
    if (variant.tcmalloc && !launcherHasTcmalloc()) return 'no tcmalloc (apt-get install libtcmalloc-minimal4)';
    const [command, commandArgs] = variant.tcmalloc ? [LAUNCHER, [python, ...args]] : [python, args];
    const out = execFileSync(command, commandArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: environmentWithoutAllocator(false) });
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
  const twins = arg('twin', defaultTwins()).split(',');
  const unknown = twins.filter((t) => !(t in TWINS));
  if (unknown.length) throw new Error(`unknown --twin ${unknown.join(',')}: one or more of ${Object.keys(TWINS).join(',')}`);
  process.stdout.write(`SLIP step (CLIP + SimCLR, 3 image views), model ${model}, batch ${batch}, ${steps} timed steps after 1 warm-up, ${rounds} round(s)\n`);
  const names = [...twins.map((t) => `pytorch ${t}`), ...wanted.map((b) => `slipkit ${b}`)];
  const results = names.map(() => [] as Array<Figures | string>);
  for (let r = 0; r < rounds; r++) {
    twins.forEach((t, i) => results[i].push(runTorch(t, model, batch, steps)));
    wanted.forEach((b, i) => results[twins.length + i].push(runChild(b, model, batch, steps)));
  }
  process.stdout.write(machineLine(names, results) + '\n');
  const allocators = [...new Set(results.slice(twins.length).flatMap((rows) => ok(rows).flatMap((f) => (f.allocator ? [f.allocator] : []))))];
  if (allocators.length) process.stdout.write(`slipkit's allocator: ${allocators.join('; ')}\n`);
  const floorMs = floorLine(names, results, model, batch);
  printTable(names, results, twins.length, batch, floorMs);
}

/** The step's FLOPs over the best square-matmul rate of this invocation; prints how, returns ms. */
function floorLine(names: string[], results: Array<Array<Figures | string>>, model: string, batch: number): number | undefined {
  // Plain JavaScript shared with the setup script (no build step of its own).
  const { stepFlops } = require(path.join(root, 'scripts', 'gemm-probe.js')) as { stepFlops(model: string, batch: number): { linear: number; attention: number; total: number } };
  const flops = stepFlops(model, batch);
  const rates = names.flatMap((name, i) => {
    const g = ok(results[i]).flatMap((f) => (f.matmulGflops === undefined ? [] : [f.matmulGflops]));
    return g.length ? [{ name, gflops: median(g) }] : [];
  });
  const best = rates.sort((a, b) => b.gflops - a.gflops)[0];
  if (!best) return undefined;
  const ms = flops.total / best.gflops / 1e6;
  process.stdout.write(
    `floor: ${(flops.total / 1e9).toFixed(1)} GFLOP of matrix products (${(flops.linear / 1e9).toFixed(1)} linear, ${(flops.attention / 1e9).toFixed(1)} attention) ` +
      `at the best rate measured here (${best.name}, ${best.gflops.toFixed(0)} GFLOP/s) = ${ms.toFixed(0)} ms\n`,
  );
  return ms;
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

/**
 * The strongest twin: the twin row with the lowest median step time. Per round, the reference
 * is the fastest twin of that round (so a neighbour's load in one round hits the ratio less).
 */
function strongestTwin(results: Array<Array<Figures | string>>, twinCount: number): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < twinCount; i++) {
    const figures = ok(results[i]);
    if (!figures.length) continue;
    if (best === undefined || median(figures.map((f) => f.msPerStep)) < median(ok(results[best]).map((f) => f.msPerStep))) best = i;
  }
  return best;
}

function fastestOfRound(results: Array<Array<Figures | string>>, twinCount: number, round: number): Figures | undefined {
  const figures = results.slice(0, twinCount).flatMap((rows) => (typeof rows[round] === 'string' ? [] : [rows[round] as Figures]));
  return figures.sort((a, b) => a.msPerStep - b.msPerStep)[0];
}

function printTable(names: string[], results: Array<Array<Figures | string>>, twinCount: number, batch: number, floorMs: number | undefined): void {
  const out = process.stdout;
  const best = strongestTwin(results, twinCount);
  if (best !== undefined) out.write(`strongest twin: ${names[best]} (${ok(results[best])[0].variant ?? '?'}); ratios are against it\n`);
  out.write(`${'implementation'.padEnd(26)}${'ms/step'.padStart(10)}${'img/s'.padStart(9)}${'peak GiB'.padStart(10)}${'time ×twin'.padStart(13)}${'mem ×twin'.padStart(12)}${'time × range'.padStart(15)}${'× floor'.padStart(10)}${'CPU ms'.padStart(9)}${'CPU ×twin'.padStart(11)}\n`);
  const torch = best === undefined ? [] : ok(results[best]);
  names.forEach((name, i) => {
    const figures = ok(results[i]);
    if (figures.length === 0) {
      out.write(`${name.padEnd(26)}  failed: ${results[i].find((f) => typeof f === 'string')}\n`);
      return;
    }
    const ms = median(figures.map((f) => f.msPerStep));
    const peak = Math.max(...figures.map((f) => f.peakGiB));
    const torchMs = torch.length ? median(torch.map((f) => f.msPerStep)) : undefined;
    const torchPeak = torch.length ? Math.max(...torch.map((f) => f.peakGiB)) : undefined;
    // Per-round ratios pair each run with the fastest twin of the same round.
    const ratios = results[i].flatMap((f, r) => {
      const t = fastestOfRound(results, twinCount, r);
      return typeof f === 'string' || !t ? [] : [f.msPerStep / t.msPerStep];
    });
    const ratio = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(2));
    const cpuMs = median(figures.flatMap((f) => (f.cpuMsPerStep === undefined ? [] : [f.cpuMsPerStep])));
    const torchCpu = median(torch.flatMap((f) => (f.cpuMsPerStep === undefined ? [] : [f.cpuMsPerStep])));
    const range = ratios.length > 1 ? `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}` : '-';
    out.write(
      `${name.padEnd(26)}${ms.toFixed(0).padStart(10)}${((batch * 1000) / ms).toFixed(1).padStart(9)}${peak.toFixed(2).padStart(10)}` +
        `${ratio(torchMs && ms / torchMs).padStart(13)}${ratio(torchPeak && peak / torchPeak).padStart(12)}${range.padStart(15)}${ratio(floorMs && ms / floorMs).padStart(10)}` +
        `${(Number.isNaN(cpuMs) ? '-' : cpuMs.toFixed(0)).padStart(9)}${ratio(Number.isNaN(cpuMs) || Number.isNaN(torchCpu) ? undefined : cpuMs / torchCpu).padStart(11)}\n`,
    );
  });
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});

/**
 * Where a SLIP training step's time goes, by kernel: runs the benchmark's model (as
 * bench/slip-step.ts) for one warm-up step, then one step under tf.profile, and prints the
 * kernels that took the most time in total, with their call counts and share of the step.
 *
 *   node dist/bench/profile-step.js [--model small|vits16] [--batch 64] [--backend tensorflow] [--top 25] [--shapes]
 *                                   [--adamw auto|slipkit|tensorflow-fused]
 *
 * --shapes breaks each kernel down by its input shapes. A first table says where the profiled
 * step's wall time goes, by phase and kind of kernel, in rows that add up to it: the time
 * between kernels (tape bookkeeping, JavaScript, dispatch) is a row of its own. TensorFlow ops run directly on the native
 * backend (the fused AdamW's) bypass tfjs's kernel registry and are not listed: the optimizer
 * phase time in the first line covers them.
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';
import { fusedOpsActive } from '../core/backend';
import { benchArg as arg, benchStep, type StepPhases } from './slip-step-harness';

/** Kernels that run other kernels: tf.customGrad scopes, `…__op` wrappers, tfjs-node's _FusedMatMul (BatchMatMul + Add). */
const COMPOSITE = /^(unnamed scope|.*__op|_FusedMatMul)$/;

interface KernelTotal {
  calls: number;
  ms: number;
}

/** Which row of the time table a kernel belongs to. */
function kindOf(name: string): string {
  if (/MatMul|Gemm/.test(name)) return 'matrix products';
  if (/^SlipkitAttention/.test(name)) return 'attention kernels';
  if (/^Slipkit/.test(name)) return 'other fused ops';
  return 'other TensorFlow ops';
}

/** The profiled step's wall time by phase and kind of kernel, in rows that add up to it. */
async function printWhereTimeGoes(info: Awaited<ReturnType<typeof tf.profile>>, phases: StepPhases, boundaries: Partial<Record<keyof StepPhases, number>>, profiledMs: number): Promise<void> {
  const fbStart = boundaries.prepare ?? 0;
  const fbEnd = boundaries.forwardBackward ?? info.kernels.length;
  const rows = new Map<string, KernelTotal>();
  let kernelMs = 0;
  for (let i = fbStart; i < fbEnd; i++) {
    const k = info.kernels[i];
    if (COMPOSITE.test(k.name)) continue;
    const ms = await k.kernelTimeMs;
    const t = typeof ms === 'number' ? ms : 0;
    const row = rows.get(kindOf(k.name)) ?? { calls: 0, ms: 0 };
    row.calls += 1;
    row.ms += t;
    rows.set(kindOf(k.name), row);
    kernelMs += t;
  }
  const table: Array<[string, string, number]> = [
    ['prepare (views, captions)', '', phases.prepare],
    ...['matrix products', 'attention kernels', 'other fused ops', 'other TensorFlow ops'].map((kind): [string, string, number] => [`forward+backward: ${kind}`, String(rows.get(kind)?.calls ?? 0), rows.get(kind)?.ms ?? 0]),
    ['forward+backward: between kernels (tape, JS, dispatch)', '', phases.forwardBackward - kernelMs],
    ['optimizer (AdamW)', '', phases.optimizer],
  ];
  const total = table.reduce((sum, [, , ms]) => sum + ms, 0);
  const out = process.stdout;
  out.write(`where the profiled step's time goes (rows add up to ${total.toFixed(0)} ms; the step measured ${profiledMs.toFixed(0)} ms from outside):\n`);
  for (const [name, calls, ms] of table) out.write(`  ${name.padEnd(56)}${calls.padStart(7)}${ms.toFixed(0).padStart(8)} ms${((100 * ms) / total).toFixed(1).padStart(7)}%\n`);
}

async function main(): Promise<void> {
  const model = arg('model', 'small');
  const batch = Number(arg('batch', model === 'small' ? '64' : '8'));
  const backend = arg('backend', 'tensorflow');
  const top = Number(arg('top', '25'));
  const byShape = process.argv.includes('--shapes');
  const step = await benchStep(model, batch, backend);
  let phases: StepPhases = { prepare: 0, forwardBackward: 0, optimizer: 0 };
  // How many kernels the profile held as each phase ended (the engine's active profile).
  const boundaries: Partial<Record<keyof StepPhases, number>> = {};
  const engineState = (tf.engine() as unknown as { state: { activeProfile?: { kernels: unknown[] } } }).state;
  const one = async (): Promise<void> => {
    phases = await step((phase) => {
      boundaries[phase] = engineState.activeProfile?.kernels.length;
    });
  };
  await one();
  await one();
  const plain = { ...phases };
  const t0 = performance.now();
  const info = await tf.profile(one);
  const profiled = performance.now() - t0;
  await printWhereTimeGoes(info, phases, boundaries, profiled);
  const totals = new Map<string, KernelTotal>();
  let kernelMs = 0;
  for (const k of info.kernels) {
    // Composite kernels (customGrad scopes, ops made of other kernels) would count their
    // children twice; only leaf kernels are summed.
    // A fused op without its own kernel on this backend runs its reference, tfjs ops listed beside it.
    if (COMPOSITE.test(k.name) || (k.name.startsWith('Slipkit') && !fusedOpsActive(k.name))) continue;
    const ms = await k.kernelTimeMs;
    const key = byShape ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
    const entry = totals.get(key) ?? { calls: 0, ms: 0 };
    entry.calls += 1;
    entry.ms += typeof ms === 'number' ? ms : 0;
    totals.set(key, entry);
    kernelMs += typeof ms === 'number' ? ms : 0;
  }
  const out = process.stdout;
  out.write(`SLIP step profile, model ${model}, batch ${batch}, backend ${tf.getBackend()}\n`);
  out.write(`unprofiled step: prepare ${plain.prepare.toFixed(0)} ms, forward+backward ${plain.forwardBackward.toFixed(0)} ms, optimizer ${plain.optimizer.toFixed(0)} ms\n`);
  out.write(`profiled step: ${profiled.toFixed(0)} ms wall, ${kernelMs.toFixed(0)} ms in leaf kernels, tensor peak ${(info.peakBytes / 2 ** 30).toFixed(2)} GiB, process peak RSS ${(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)} GiB\n`);
  out.write(`${'kernel'.padEnd(byShape ? 60 : 28)}${'calls'.padStart(8)}${'ms'.padStart(10)}${'share'.padStart(8)}\n`);
  const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, top);
  for (const [name, t] of rows) {
    out.write(`${name.padEnd(byShape ? 60 : 28)}${String(t.calls).padStart(8)}${t.ms.toFixed(1).padStart(10)}${((100 * t.ms) / kernelMs).toFixed(1).padStart(7)}%\n`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});

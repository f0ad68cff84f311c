/**
 * `node dist/bench/matmul.js --step small|vits16`: GFLOP/s of each GEMM candidate at the
 * shapes of one SLIP training step (the forward product and both backward products of every
 * linear layer; scripts/gemm-probe.js lists them), and the time of all of a step's products.
 *
 * Candidates: TensorFlow's MatMul (oneDNN, as the native backend runs it), each BLAS library
 * setup installed (.native/gemm/), any given with --libraries name=path,..., and PyTorch's
 * GEMM (MKL in its CPU wheels) for reference. Each library runs in its own process together
 * with TensorFlow's MatMul, shape by shape (scripts/gemm-probe.js), so its ratio to TensorFlow
 * is measured under the same load; PyTorch runs in its own process. --rounds N repeats the
 * whole set, interleaved; cells are medians and the ratio column gives the per-round spread.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nativeInstall } from '../core/backend';

interface ProbeShape {
  name: string;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  count: number;
  tfMs: number;
  libMs?: number;
}

interface ProbeResult {
  flavour: string;
  shapes: ProbeShape[];
  tfMs: number;
  libMs?: number;
}

const root = path.resolve(__dirname, '..', '..');
const probeScript = path.join(root, 'scripts', 'gemm-probe.js');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const gflops = (s: { m: number; n: number; k: number }, ms: number): number => (2 * s.m * s.n * s.k) / ms / 1e6;

function probe(model: string, tfjsNodeDir: string, reps: number, library?: { addon: string; path: string }): ProbeResult | string {
  const args = [probeScript, '--tfjs-node', tfjsNodeDir, '--model', model, '--reps', String(reps)];
  if (library) args.push('--addon', library.addon, '--library', library.path);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  return line ? (JSON.parse(line) as ProbeResult) : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
}

/** The twin's python, as bench/slip-step.ts finds it. */
function torchPython(): string | undefined {
  if (process.env.SLIPKIT_TORCH_PYTHON) return process.env.SLIPKIT_TORCH_PYTHON;
  return ['.venv-bench', '.venv', '.venv-ref'].map((v) => path.join(root, v, 'bin', 'python')).find((p) => fs.existsSync(p));
}

function torchTimes(shapes: ProbeShape[], reps: number): number[] | string {
  const python = torchPython();
  if (!python) return 'no python with torch';
  try {
    const input = JSON.stringify(shapes.map(({ m, n, k, transposeA, transposeB }) => ({ m, n, k, transposeA, transposeB })));
    const out = execFileSync(python, [path.join(root, 'bench', 'matmul_torch.py'), '--reps', String(reps)], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    return (JSON.parse(out.trim().split('\n').pop()!) as { ms: number[] }).ms;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

/** name → library path: setup's installed candidates, then --libraries. */
function libraries(extra: string | undefined): Map<string, string> {
  const install = nativeInstall();
  const out = new Map<string, string>();
  for (const [name, c] of Object.entries(install.manifest?.gemm?.candidates ?? {})) if (c.library) out.set(name, path.join(install.dir, c.library));
  for (const item of extra?.split(',').filter(Boolean) ?? []) {
    const [name, file] = item.split('=');
    if (!name || !file) throw new Error(`--libraries expects name=path[,name=path...], got ${item}`);
    out.set(name, path.resolve(file));
  }
  return out;
}

export function stepMatmulBench(model: string, rounds: number, reps: number, extraLibraries: string | undefined, withTorch: boolean): void {
  const out = process.stdout;
  const install = nativeInstall();
  if (!install.ready) throw new Error(`the native backend is not set up: ${install.problem}`);
  const addon = install.manifest?.gemm?.addon ? path.join(install.dir, install.manifest.gemm.addon) : undefined;
  const libs = addon ? libraries(extraLibraries) : new Map<string, string>();
  out.write(`GEMM at the shapes of one SLIP step (model ${model}), ${rounds} round(s) of ${reps} reps per shape; GEMM in use: ${install.manifest?.gemm?.chosen ?? 'tensorflow'}\n`);
  // Per candidate, per round: the probe (libraries) or times (torch); TensorFlow from every probe.
  const runs = new Map<string, ProbeResult[]>();
  const torchRuns: number[][] = [];
  const errors: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const plain = libs.size === 0 ? probe(model, install.tfjsNodeDir, reps) : undefined;
    if (typeof plain === 'string') errors.push(`tensorflow: ${plain}`);
    else if (plain) runs.set('tensorflow-only', [...(runs.get('tensorflow-only') ?? []), plain]);
    for (const [name, file] of libs) {
      const result = probe(model, install.tfjsNodeDir, reps, { addon: addon!, path: file });
      if (typeof result === 'string') errors.push(`${name}: ${result}`);
      else runs.set(name, [...(runs.get(name) ?? []), result]);
    }
    const shapes = [...runs.values()][0]?.[0]?.shapes;
    if (withTorch && shapes) {
      const t = torchTimes(shapes, reps);
      if (typeof t === 'string') errors.push(`pytorch: ${t}`);
      else torchRuns.push(t);
    }
  }
  const all = [...runs.values()].flat();
  if (all.length === 0) throw new Error(`no measurement: ${errors.join('; ')}`);
  const shapes = all[0].shapes;
  const columns: Array<{ name: string; ms: (i: number) => number }> = [
    { name: 'tensorflow', ms: (i) => median(all.map((p) => p.shapes[i].tfMs)) },
    ...[...libs.keys()].filter((n) => runs.has(n)).map((n) => ({ name: n, ms: (i: number) => median(runs.get(n)!.map((p) => p.shapes[i].libMs!)) })),
    ...(torchRuns.length ? [{ name: 'pytorch', ms: (i: number) => median(torchRuns.map((t) => t[i])) }] : []),
  ];
  out.write(`\nGFLOP/s per product (× count per step):\n${'product'.padEnd(30)}${'m×n×k'.padEnd(20)}${'×'.padStart(3)}${columns.map((c) => c.name.padStart(12)).join('')}\n`);
  shapes.forEach((s, i) => {
    const dims = `${s.m}×${s.n}×${s.k}${s.transposeA ? ' Aᵀ' : ''}${s.transposeB ? ' Bᵀ' : ''}`;
    out.write(`${s.name.padEnd(30)}${dims.padEnd(20)}${String(s.count).padStart(3)}${columns.map((c) => gflops(s, c.ms(i)).toFixed(0).padStart(12)).join('')}\n`);
  });
  const flop = shapes.reduce((sum, s) => sum + 2 * s.m * s.n * s.k * s.count, 0);
  const totals = columns.map((c) => shapes.reduce((sum, s, i) => sum + c.ms(i) * s.count, 0));
  out.write(`${'all of a step\'s products, ms'.padEnd(53)}${totals.map((t) => t.toFixed(0).padStart(12)).join('')}\n`);
  out.write(`${`effective GFLOP/s (${(flop / 1e9).toFixed(1)} GFLOP)`.padEnd(53)}${totals.map((t) => (flop / t / 1e6).toFixed(0).padStart(12)).join('')}\n`);
  // Same-process ratios: each library's step total over TensorFlow's, per round.
  for (const [name, list] of runs) {
    if (name === 'tensorflow-only') continue;
    const ratios = list.map((p) => p.libMs! / p.tfMs);
    const spread = ratios.length > 1 ? ` (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})` : '';
    out.write(`${name} (${list[0].flavour}) / tensorflow in the same process: ${median(ratios).toFixed(2)}×${spread}\n`);
  }
  for (const e of errors) out.write(`failed: ${e}\n`);
}

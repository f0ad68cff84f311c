/**
 * Matmul throughput per compute backend: a GFLOP/s table over square float32 sizes.
 *
 *   npm run build && node dist/bench/matmul.js [--sizes 128,256,512,1024,2048] [--budget-ms 1000] [--backends tensorflow,wasm,cpu]
 *
 * With --step small|vits16, instead: GFLOP/s per GEMM candidate (TensorFlow's MatMul, the BLAS
 * libraries setup installed, PyTorch's) at the shapes of one SLIP training step (see
 * bench/matmul-step.ts):
 *
 *   node dist/bench/matmul.js --step small [--rounds 2] [--reps 5] [--libraries mkl=/path/libmkl_rt.so.3] [--no-torch]
 *
 * Each cell multiplies two random n×n matrices until the budget has passed (one untimed warm-up,
 * at least two timed reps, every product read back). A backend stops at the first size whose
 * single rep takes longer than the budget, so the slow pure-JS backend does not run for minutes.
 */
import { stepMatmulBench } from './matmul-step';
import { AUTO_ORDER, BACKEND_CANDIDATES, formatGflops, measureMatmulRate, probeBackends, type BackendName, type MatmulRate } from '../core/backend';

interface BenchOptions {
  sizes: number[];
  budgetMs: number;
  backends: BackendName[];
}

function parseArgs(argv: string[]): BenchOptions {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizes = (value('sizes') ?? '128,256,512,1024,2048').split(',').map(Number);
  const budgetMs = Number(value('budget-ms') ?? '1000');
  const backends = (value('backends')?.split(',') ?? [...AUTO_ORDER]) as BackendName[];
  const unknown = backends.filter((b) => !AUTO_ORDER.includes(b));
  if (unknown.length > 0 || sizes.some((s) => !Number.isInteger(s) || s <= 0) || !(budgetMs > 0)) {
    throw new Error(`usage: node dist/bench/matmul.js [--sizes 128,256,...] [--budget-ms 1000] [--backends ${AUTO_ORDER.join(',')}]`);
  }
  return { sizes, budgetMs, backends };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const step = argv.indexOf('--step');
  if (step >= 0) {
    const value = (name: string, fallback: string): string => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
    stepMatmulBench(argv[step + 1], Number(value('rounds', '2')), Number(value('reps', '5')), argv.includes('--libraries') ? value('libraries', '') : undefined, !argv.includes('--no-torch'));
    return;
  }
  const options = parseArgs(argv);
  const probes = await probeBackends();
  const out = process.stdout;
  const rows: Array<{ name: BackendName; cells: Map<number, MatmulRate> }> = [];
  for (const probe of probes.filter((p) => options.backends.includes(p.name))) {
    out.write(`${probe.name}: ${probe.available ? '' : 'unavailable, '}${probe.reason}\n`);
    if (!probe.available) continue;
    const candidate = BACKEND_CANDIDATES.find((c) => c.name === probe.name);
    await candidate?.activate();
    const cells = new Map<number, MatmulRate>();
    for (const size of options.sizes) {
      const rate = await measureMatmulRate(size, options.budgetMs);
      cells.set(size, rate);
      if (rate.seconds / rate.reps > options.budgetMs / 1000) break;
    }
    rows.push({ name: probe.name, cells });
  }
  out.write(`\nGFLOP/s, square float32 matmul (budget ${options.budgetMs} ms per cell):\n`);
  out.write(`${'backend'.padEnd(12)}${options.sizes.map((s) => String(s).padStart(10)).join('')}\n`);
  for (const row of rows) {
    const cells = options.sizes.map((s) => (row.cells.has(s) ? formatGflops(row.cells.get(s)!.gflops) : '-').padStart(10));
    out.write(`${row.name.padEnd(12)}${cells.join('')}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Command } from 'commander';
import { AUTO_ORDER, BACKEND_CANDIDATES, displayPath, formatGflops, measureMatmulRate, nativeInstall, probeBackends, processAllocator, type BackendProbe } from '../../backend';
import { installedVersion, packageRoot } from '../../backend/package-root';
import { firstLine } from '../../backend/load-module';
import type { CliContext } from '../context';
import { writeClusterStatus } from './doctor-cluster';

interface DoctorOptions {
  bench: boolean;
  size: string;
  budgetMs: string;
}

type Out = CliContext['stdout'];

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('report versions, which compute backends work on this machine and how fast they multiply matrices, and MPI and SLURM for data-parallel runs')
    .option('--no-bench', 'skip the matmul timing')
    .option('--size <n>', 'side of the square float32 matrices timed', '512')
    .option('--budget-ms <ms>', 'time spent timing each backend', '1000')
    .action(async (opts: DoctorOptions) => {
      const out = ctx.stdout;
      writeVersions(out);
      writeNativeStatus(out);
      writeClusterStatus(out);
      const probes = await probeBackends();
      writeProbes(out, probes);
      if (opts.bench) await writeMatmulRates(out, probes, Number(opts.size), Number(opts.budgetMs));
    });
}

function writeVersions(out: Out): void {
  out.write(`slipkit ${readOwnVersion()}\n`);
  out.write(`node ${process.version} on ${os.platform()} ${os.arch()}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB\n`);
  const packages = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', 'webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];
  for (const pkg of packages) {
    const version = installedVersion(pkg);
    if (version !== undefined) out.write(`${pkg} ${version}\n`);
  }
}

function readOwnVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown version';
}

function writeNativeStatus(out: Out): void {
  const native = nativeInstall();
  const where = displayPath(native.dir);
  if (native.ready && native.manifest) {
    const m = native.manifest;
    out.write(`native backend (${where}/): tfjs-node ${m.tfjsNode} built ${m.builtAt.slice(0, 10)} with node ${m.builtWith.node}; libtensorflow ${m.libtensorflow.version} from ${m.libtensorflow.source}\n`);
  } else {
    out.write(`native backend: ${native.problem}\n`);
  }
  out.write(`allocator: ${processAllocator().description}\n`);
}

function writeProbes(out: Out, probes: BackendProbe[]): void {
  out.write(`backends (auto tries them in this order: ${AUTO_ORDER.join(', ')}):\n`);
  for (const p of probes) {
    out.write(`  ${p.name.padEnd(10)} ${p.available ? 'available  ' : 'unavailable'}  ${p.reason}\n`);
    if (p.available && p.details?.libtensorflow) out.write(`  ${''.padEnd(10)} ${''.padEnd(11)}  libtensorflow ${p.details.libtensorflow}\n`);
    if (p.available && p.details?.fusedOps) out.write(`  ${''.padEnd(10)} ${''.padEnd(11)}  fused ops: ${p.details.fusedOps}\n`);
    if (p.available && p.details?.adapter) out.write(`  ${''.padEnd(10)} ${''.padEnd(11)}  adapter: ${p.details.adapter}${p.details.limits ? ` (${p.details.limits})` : ''}\n`);
    if (p.available && p.details?.gemm) out.write(`  ${''.padEnd(10)} ${''.padEnd(11)}  gemm: ${p.details.gemm}\n`);
  }
  // auto never picks a software device, even when a spec may name it.
  const chosen = probes.find((p) => p.available && !p.software);
  out.write(`auto selects: ${chosen ? chosen.name : 'nothing (no backend works)'}\n`);
}

/** Times a square matmul on every available backend, then selects the previous backend again. */
async function writeMatmulRates(out: Out, probes: BackendProbe[], size: number, budgetMs: number): Promise<void> {
  const previous = tf.getBackend();
  out.write(`matmul ${size}x${size} float32 (about ${(budgetMs / 1000).toFixed(1)} s per backend):\n`);
  for (const probe of probes.filter((p) => p.available)) {
    const candidate = BACKEND_CANDIDATES.find((c) => c.name === probe.name);
    try {
      await candidate?.activate();
      const rate = await measureMatmulRate(size, budgetMs);
      out.write(`  ${probe.name.padEnd(10)} ${formatGflops(rate.gflops).padStart(8)} GFLOP/s  (${rate.reps} reps in ${rate.seconds.toFixed(2)} s)\n`);
    } catch (err) {
      out.write(`  ${probe.name.padEnd(10)}   failed: ${firstLine(err)}\n`);
    }
  }
  if (previous) await tf.setBackend(previous);
}

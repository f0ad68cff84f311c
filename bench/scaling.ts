/**
 * Data-parallel scaling on this machine: the per-step time of a SLIP spec split into
 * compute, embedding gathers (CLIP's and SimCLR's all-gathers with their backward
 * all-reduces) and the gradient all-reduce, on 1 rank and on K ranks under `mpirun`, at the
 * same global batch, with the bytes each rank puts into the collectives per step.
 *
 *   npm run build && node dist/bench/scaling.js [--ranks 1,2] [--spec bench/specs/slip-small.json]
 *       [--steps 8] [--batch 32] [--backend tensorflow]
 *
 * The first step (warm-up: kernel compilation, first allocations) is left out. "compute" is
 * the rest of the step: data, augmentation, forward, backward, optimizer and the run's hooks,
 * plus any wait for the slowest rank that is not spent inside a collective. Gather time
 * includes waiting for the slowest rank to arrive (load imbalance shows up there). On one
 * machine, K ranks share its cores (each gets cores/K intra-op threads), so the efficiency
 * measured here is at a fixed number of cores: it shows the cost of the collectives, not a
 * speed-up. docs/distributed.md turns these figures into the cost model.
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeWorld, openWorld } from '../core/distributed/open-world';
import { collectiveTime, resetCollectiveTime } from '../core/distributed/tensor-collectives';
import { runExperiment } from '../core/engine/run';
import { Logger } from '../core/logger';
import { PluginRegistry } from '../core/plugins/registry';
import { resolveExperiment } from '../core/spec/resolve';
import { builtinPlugins } from '../plugins/index';

const REPO_ROOT = process.env.SLIPKIT_ROOT ?? path.resolve(__dirname, '..', '..');

interface Options {
  ranks: number[];
  spec: string;
  steps: number;
  batch: number;
  backend: string;
}

interface StepSplit {
  ranks: number;
  stepMs: number;
  gatherMs: number;
  allReduceMs: number;
  gatherBytes: number;
  allReduceBytes: number;
  batch: number;
}

function parseArgs(argv: string[]): Options & { worker: boolean } {
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
  };
  return {
    worker: argv.includes('--worker'),
    ranks: get('ranks', '1,2').split(',').map(Number),
    spec: path.resolve(get('spec', path.join(REPO_ROOT, 'bench', 'specs', 'slip-small.json'))),
    steps: Number(get('steps', '8')),
    batch: Number(get('batch', '32')),
    backend: get('backend', 'tensorflow'),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One rank: trains the spec, timing each step from the end of the one before. */
async function worker(o: Options): Promise<void> {
  const log = new Logger('warn', process.stderr);
  const world = openWorld(log);
  const registry = new PluginRegistry();
  registry.registerAll(builtinPlugins, 'the built-in manifest');
  const overrides = [`train.steps=${o.steps}`, `train.batchSize=${o.batch}`, `backend=${o.backend}`, 'tracking={"type":"console"}', 'train.logEvery=1000'];
  const loaded = resolveExperiment(o.spec, registry, overrides);
  const rows: StepSplit[] = [];
  let last = 0;
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipkit-scaling-'));
  await runExperiment(loaded, registry, {
    runDir: path.join(runDir, 'run'),
    log,
    stdout: { write: () => true },
    onStepEnd: (step) => {
      const now = performance.now();
      if (step > 1) rows.push({ ranks: world.size, stepMs: now - last, batch: o.batch, ...collectiveTime });
      resetCollectiveTime();
      last = now;
    },
  });
  if (world.rank === 0) {
    fs.rmSync(runDir, { recursive: true, force: true });
    const pick = (k: keyof StepSplit): number => median(rows.map((r) => r[k]));
    const summary: StepSplit = { ranks: world.size, stepMs: pick('stepMs'), gatherMs: pick('gatherMs'), allReduceMs: pick('allReduceMs'), gatherBytes: pick('gatherBytes'), allReduceBytes: pick('allReduceBytes'), batch: o.batch };
    process.stdout.write(`SCALING ${JSON.stringify(summary)}\n`);
  }
  closeWorld();
}

function driver(o: Options): void {
  const self = __filename;
  const results: StepSplit[] = [];
  for (const k of o.ranks) {
    const args = [self, '--worker', '--spec', o.spec, '--steps', String(o.steps), '--batch', String(o.batch), '--backend', o.backend];
    const asRoot = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];
    const r = k === 1 ? spawnSync(process.execPath, args, { encoding: 'utf8' }) : spawnSync('mpirun', [...asRoot, '--oversubscribe', '--bind-to', 'none', '-np', String(k), process.execPath, ...args], { encoding: 'utf8' });
    const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('SCALING '));
    if (!line) throw new Error(`${k} rank(s) failed:\n${(r.stderr ?? '').slice(-3000)}`);
    results.push(JSON.parse(line.slice('SCALING '.length)) as StepSplit);
  }
  const base = results.find((r) => r.ranks === 1);
  const mb = (b: number): string => (b / 2 ** 20).toFixed(2);
  console.log(`${path.basename(o.spec)}, global batch ${o.batch}, ${o.backend}, ${os.cpus().length} cores; medians over steps 2..${o.steps}`);
  console.log('ranks  step ms  compute ms  gather ms  all-reduce ms  gather MB/rank  all-reduce MB/rank  img/s  efficiency');
  for (const r of results) {
    const compute = r.stepMs - r.gatherMs - r.allReduceMs;
    const imgPerS = (r.batch / r.stepMs) * 1000;
    const eff = base ? ((base.stepMs / r.stepMs) / r.ranks) * 100 : NaN;
    console.log(
      `${String(r.ranks).padStart(5)}  ${r.stepMs.toFixed(0).padStart(7)}  ${compute.toFixed(0).padStart(10)}  ${r.gatherMs.toFixed(1).padStart(9)}  ${r.allReduceMs.toFixed(1).padStart(13)}  ${mb(r.gatherBytes).padStart(14)}  ${mb(r.allReduceBytes).padStart(18)}  ${imgPerS.toFixed(1).padStart(5)}  ${eff.toFixed(0).padStart(9)}%`,
    );
  }
}

const options = parseArgs(process.argv.slice(2));
if (options.worker) {
  worker(options).catch((err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  });
} else {
  driver(options);
}

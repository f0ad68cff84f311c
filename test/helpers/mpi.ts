import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mpiAddonPath, MPI_SETUP_COMMAND } from '../../core/distributed/mpi-addon';
import type { WorkerCase, WorkerCaseResult } from './data-parallel-worker';
import { repoRoot } from './paths';

/** Fails (never skips) when mpirun or slipkit's MPI binding is missing, naming the fix. */
export function requireMpi(): void {
  const probe = spawnSync('mpirun', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(`mpirun is not available (${probe.error?.message ?? probe.stderr}): run "bash scripts/provision/mpi.sh"`);
  if (!fs.existsSync(mpiAddonPath())) throw new Error(`slipkit's MPI binding is not built (${mpiAddonPath()}): run "${MPI_SETUP_COMMAND}"`);
}

/** mpirun's options for a K-rank job on this machine (root in CI containers; more ranks than cores). */
export function mpirunArgs(ranks: number): string[] {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0 ? ['--allow-run-as-root'] : [];
  return [...asRoot, '--oversubscribe', '--bind-to', 'none', '-np', String(ranks)];
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  seconds: number;
}

/** A started command: its process, and its result once it ends (killed after `timeoutMs`). */
export function startProcess(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): { child: ChildProcess; done: Promise<ProcessResult> } {
  const started = Date.now();
  const child = spawn(cmd, args, { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<ProcessResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, options.timeoutMs ?? 110_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, seconds: (Date.now() - started) / 1000 });
    });
  });
  return { child, done };
}

/** Runs a command to its end (killing it after `timeoutMs`), with stdout and stderr together. */
export function runProcess(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ProcessResult> {
  return startProcess(cmd, args, options).done;
}

/** The pid of MPI rank `rank` among the processes mpirun `mpirunPid` started (read from /proc). */
export function rankPid(mpirunPid: number, rank: number): number | undefined {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== mpirunPid) continue;
      const env = fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (env.includes(`OMPI_COMM_WORLD_RANK=${rank}`)) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}

/** The data-parallel test worker (test/helpers/data-parallel-worker.ts), compiled. */
export const WORKER = path.join(repoRoot, 'dist', 'test', 'helpers', 'data-parallel-worker.js');

/** What the worker's rank 0 writes. */
export interface WorkerOutput {
  worldSize: number;
  cases: Record<string, WorkerCaseResult>;
}

/** Trains `spec` once per case on `ranks` ranks (1: a plain process, no mpirun) and returns rank 0's record. */
export async function trainOnRanks(ranks: number, spec: string, cases: WorkerCase[], dir: string, timeoutMs = 200_000): Promise<WorkerOutput> {
  const casesFile = path.join(dir, 'cases.json');
  fs.writeFileSync(casesFile, JSON.stringify(cases));
  const out = path.join(dir, `out-${ranks}.json`);
  const workerArgs = [WORKER, spec, casesFile, out, path.join(dir, 'runs')];
  const r = ranks === 1 ? await runProcess(process.execPath, workerArgs, { timeoutMs }) : await runProcess('mpirun', [...mpirunArgs(ranks), process.execPath, ...workerArgs], { timeoutMs });
  if (r.code !== 0 || !fs.existsSync(out)) throw new Error(`${ranks}-rank job failed (exit ${r.code}, signal ${r.signal}):\n${r.output.slice(-3000)}`);
  return JSON.parse(fs.readFileSync(out, 'utf8')) as WorkerOutput;
}

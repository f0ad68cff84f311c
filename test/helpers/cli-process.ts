import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './paths';

/** How a `bin/slipkit.js` child process ended. */
export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Where an interrupted run stood when the test killed it. */
export interface KillPoint {
  /** The last step with a row in metrics.jsonl when SIGKILL was sent. */
  lastRowStep: number;
  /** The step `checkpoints/last.json` named when SIGKILL was sent. */
  checkpointStep: number;
}

const CHILD_ENV = { ...process.env, SLIPKIT_LOG_LEVEL: 'warn' };

function startCli(args: string[]): ReturnType<typeof spawn> {
  return spawn(process.execPath, [path.join(repoRoot, 'bin', 'slipkit.js'), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: CHILD_ENV });
}

function collect(child: ReturnType<typeof spawn>, timeoutMs: number): Promise<CliExit> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs `slipkit <args>` to its end (killed after `timeoutMs`). */
export function runCli(args: string[], timeoutMs = 120_000): Promise<CliExit> {
  return collect(startCli(args), timeoutMs);
}

/** The step of the last complete row of a metrics.jsonl, 0 when there is none yet. */
function lastRowStep(file: string): number {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  const lines = text.split('\n');
  lines.pop(); // '' after the final newline, or a row still being written
  return lines.length ? (JSON.parse(lines[lines.length - 1]) as { step: number }).step : 0;
}

function checkpointStep(runDir: string): number | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoints', 'last.json'), 'utf8')) as { step: number }).step;
  } catch {
    return undefined;
  }
}

/**
 * Runs `slipkit <args>` (a `run` into `runDir`) and kills it with SIGKILL at the first poll
 * that sees step `killAfterStep`'s row in metrics.jsonl while a checkpoint exists: a real,
 * unannounced death with no chance to write anything more. `killPoint` is undefined when the
 * process ended before that (the caller's assertions then fail).
 */
export async function runCliUntilKilled(args: string[], runDir: string, killAfterStep: number, pollMs = 5, timeoutMs = 120_000): Promise<CliExit & { killPoint?: KillPoint }> {
  const child = startCli(args);
  const metrics = path.join(runDir, 'metrics.jsonl');
  let killPoint: KillPoint | undefined;
  const poll = setInterval(() => {
    if (killPoint) return;
    const step = lastRowStep(metrics);
    const saved = step >= killAfterStep ? checkpointStep(runDir) : undefined;
    if (saved === undefined) return;
    child.kill('SIGKILL');
    killPoint = { lastRowStep: step, checkpointStep: saved };
  }, pollMs);
  try {
    const exit = await collect(child, timeoutMs);
    return { ...exit, killPoint };
  } finally {
    clearInterval(poll);
  }
}

import * as path from 'node:path';
import { exitCodeOf } from '../errors';
import type { PluginRegistry } from '../plugins/registry';
import type { LoadedExperiment } from '../spec/resolve';
import { describeSweepValues } from '../spec/sweep';
import { runExperiment, type RunOptions, type RunResult } from './run';

/** How one member of a sweep ended. */
export interface SweepOutcome {
  experiment: LoadedExperiment;
  /** Undefined when the member could not start (its error is in `error`). */
  result?: RunResult;
  status: RunResult['status'];
  error?: Error;
}

export interface SweepOptions extends Omit<RunOptions, 'runDir'> {
  /** Parent directory: each member runs in `<runDir>/<member name>`. Default: each member's own default. */
  runDir?: string;
  /** Told about an error that kept a member from running (the sweep goes on). */
  onMemberError?: (experiment: LoadedExperiment, error: Error) => void;
}

/**
 * Runs a sweep's members one after another. A member that fails (diverges, or cannot start)
 * does not stop the others; an interrupted one (SIGINT/SIGTERM, status KILLED) stops the sweep.
 */
export async function runSweep(members: readonly LoadedExperiment[], registry: PluginRegistry, options: SweepOptions): Promise<SweepOutcome[]> {
  const outcomes: SweepOutcome[] = [];
  for (const experiment of members) {
    const { index = 0, count = members.length, values = {} } = experiment.sweep ?? {};
    options.stdout.write(`\n== sweep member ${index + 1}/${count} (${experiment.spec.name}): ${describeSweepValues(values) || 'no swept values'}\n`);
    const runDir = options.runDir ? path.join(options.runDir, experiment.spec.name) : undefined;
    try {
      const result = await runExperiment(experiment, registry, { ...options, runDir });
      outcomes.push({ experiment, result, status: result.status, error: result.error });
      if (result.status === 'KILLED') break;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      options.onMemberError?.(experiment, error);
      outcomes.push({ experiment, status: 'FAILED', error });
    }
  }
  return outcomes;
}

/** The exit code of a sweep: 0 when every member finished, 130 when interrupted, else the first failure's code. */
export function sweepExitCode(outcomes: readonly SweepOutcome[]): number {
  if (outcomes.some((o) => o.status === 'KILLED')) return 130;
  const failed = outcomes.find((o) => o.status !== 'FINISHED');
  return failed ? exitCodeOf(failed.error) : 0;
}

/** One line per member: name, status, swept values, headline (top-1) eval metrics, run directory or error. */
export function formatSweepSummary(outcomes: readonly SweepOutcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.experiment.spec.name.length));
  const lines = outcomes.map((o) => {
    const metrics = Object.entries(o.result?.metrics ?? {})
      .filter(([k]) => k.endsWith('/top1'))
      .map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join(', ');
    const values = describeSweepValues(o.experiment.sweep?.values ?? {}, true);
    const where = o.result ? o.result.runDir : o.error ? `(${o.error.message.split('\n')[0]})` : '';
    return [o.experiment.spec.name.padEnd(width), o.status.padEnd(8), values, metrics, where].filter(Boolean).join('  ');
  });
  return `sweep summary (${outcomes.length} run${outcomes.length === 1 ? '' : 's'}; every metric is in each run's metrics.jsonl and tracker):\n${lines.join('\n')}\n`;
}

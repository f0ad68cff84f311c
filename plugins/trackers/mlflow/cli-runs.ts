import type { Command } from 'commander';
import { LocalStore, type LocalRunInfo } from './local-store';
import type { CliContext } from '../../../core/toolkit';

interface RunRow {
  runId: string;
  experiment: string;
  name: string;
  status: string;
  startTime: number;
  endTime: number | null;
  /** Last value of each metric (at its highest step). */
  metrics: Record<string, number>;
}

/** Metrics shown in the table (all of them with --json): losses first, then evaluation results. */
const MAX_METRIC_COLUMNS = 4;

function rank(key: string): number {
  if (/(^|[/._])loss$/.test(key)) return 0;
  if (/top1|top5|acc|recall|map|auc/i.test(key)) return 1;
  if (/loss/.test(key)) return 2;
  return 3;
}

function keyMetrics(metrics: Record<string, number>): string {
  return Object.keys(metrics)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .slice(0, MAX_METRIC_COLUMNS)
    .map((k) => `${k}=${Number(metrics[k].toPrecision(4))}`)
    .join(' ');
}

function lastValues(store: LocalStore, run: LocalRunInfo): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of store.metricKeys(run)) {
    const history = store.readMetricHistory(run, key);
    const last = history.reduce((a, b) => (b.step > a.step || (b.step === a.step && b.timestamp >= a.timestamp) ? b : a), history[0]);
    if (last) out[key] = last.value;
  }
  return out;
}

function duration(row: RunRow): string {
  if (row.endTime === null) return '-';
  const s = Math.max(0, Math.round((row.endTime - row.startTime) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${(s / 3600).toFixed(1)}h`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n') + '\n';
}

export function registerRuns(program: Command, ctx: CliContext): void {
  program
    .command('runs')
    .description('list the runs in the local tracking store: name, status, key metrics')
    .option('--dir <dir>', 'local store (MLflow FileStore layout)', 'mlruns')
    .option('--experiment <name>', 'only runs of this experiment')
    .option('--json', 'print every run with all its last metric values as JSON')
    .action((opts: { dir: string; experiment?: string; json?: boolean }) => {
      const store = new LocalStore(opts.dir);
      const names = new Map(store.experiments().map((e) => [e.id, e.name]));
      const rows: RunRow[] = store
        .runs()
        .filter((r) => r.lifecycleStage === 'active' && (!opts.experiment || names.get(r.experimentId) === opts.experiment))
        .map((r) => ({
          runId: r.runId,
          experiment: names.get(r.experimentId) ?? r.experimentId,
          name: r.runName,
          status: r.status,
          startTime: r.startTime,
          endTime: r.endTime,
          metrics: lastValues(store, r),
        }));
      if (opts.json) {
        ctx.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      if (!rows.length) {
        ctx.stdout.write(`no runs in ${store.root}\n`);
        return;
      }
      const header = ['RUN', 'EXPERIMENT', 'NAME', 'STATUS', 'STARTED', 'TOOK', 'METRICS'];
      const body = rows.map((r) => [
        r.runId.slice(0, 8),
        r.experiment,
        r.name,
        r.status,
        new Date(r.startTime).toISOString().slice(0, 16).replace('T', ' '),
        duration(r),
        keyMetrics(r.metrics),
      ]);
      ctx.stdout.write(table([header, ...body]));
    });
}

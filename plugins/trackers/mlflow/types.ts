/**
 * The tracking data model shared by the REST client, the on-disk outbox and the local store.
 * These mirror MLflow's entities (Metric, Param, RunTag) with timestamps in milliseconds.
 */

/** One point of a metric's history. `value` may be NaN or ±Infinity (MLflow stores them). */
export interface MetricPoint {
  key: string;
  value: number;
  /** Milliseconds since the epoch, taken when the engine logged the value (not when it was sent). */
  timestamp: number;
  step: number;
}

/** A param or tag. */
export interface KeyValue {
  key: string;
  value: string;
}

/** What one `runs/log-batch` request carries. */
export interface LogBatch {
  metrics: MetricPoint[];
  params: KeyValue[];
  tags: KeyValue[];
}

/** MLflow's terminal run states (RUNNING is the state while a run is live). */
export type TerminalStatus = 'FINISHED' | 'FAILED' | 'KILLED';
export type MlflowRunStatus = 'RUNNING' | 'SCHEDULED' | TerminalStatus;

/** Identity of a metric point, for telling whether a point already arrived. */
export function metricPointId(p: MetricPoint): string {
  return `${p.step}|${p.timestamp}|${canonicalValue(p.value)}`;
}

/**
 * A value as a server gives it back: SQL backends store ±Infinity as ±Number.MAX_VALUE, so
 * both spellings name the same point.
 */
function canonicalValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v >= Number.MAX_VALUE) return 'Infinity';
  if (v <= -Number.MAX_VALUE) return '-Infinity';
  return String(v);
}

export const emptyBatch = (): LogBatch => ({ metrics: [], params: [], tags: [] });

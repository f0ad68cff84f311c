export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface RunInfo {
  /** The run directory (checkpoints, buffers, the tracker's own state). */
  runDir: string;
  /** Human-readable run name. */
  name: string;
  /** Experiment (grouping) name. */
  experiment: string;
  /** True when continuing an earlier run from `runDir`. */
  resumed: boolean;
}

/** tracker kind: params, metrics, tags and artifacts. Must never throw out of a training step. */
export interface Tracker {
  start(run: RunInfo): Promise<void>;
  logParams(params: Record<string, string>): Promise<void>;
  setTags(tags: Record<string, string>): Promise<void>;
  /** Buffered; must not block the step. */
  logMetrics(metrics: Record<string, number>, step: number, timestampMs?: number): void;
  logArtifact(localPath: string, artifactPath?: string): Promise<void>;
  /** Sends whatever is buffered. */
  flush(): Promise<void>;
  end(status: Exclude<RunStatus, 'RUNNING'>, error?: string): Promise<void>;
}

import type { RunTrackingState } from './run-state';
import type { KeyValue, LogBatch, TerminalStatus } from './types';

/**
 * Where a tracker's records go: an MLflow server (through the on-disk outbox) or the local
 * FileStore-layout store. The tracker prepares everything (redaction, key sanitising, value
 * caps, batching within limits, param de-duplication); a sink only records it, in order.
 */
export interface RunSink {
  /** `rest` or `local`, as recorded in the run state. */
  readonly kind: RunTrackingState['store'];
  /** Server URI or store directory (never with credentials). */
  readonly location: string;
  /**
   * Opens the run: a new one, or, when `state.runId` is set (a resumed run), the same one again.
   * `tags` are set when the run is created.
   */
  open(runDir: string, state: RunTrackingState, tags: KeyValue[]): Promise<void>;
  /** Records batches, each already within MLflow's log-batch limits. */
  write(batches: LogBatch[]): Promise<void>;
  /** Records a file (or a folder's files) as `artifactPath` under the run's artifacts. */
  artifact(localPath: string, artifactPath: string): Promise<void>;
  /** Records how the run ended. */
  close(status: TerminalStatus, endTimeMs: number): Promise<void>;
  /**
   * Delivers what is recorded but not yet delivered. `final`: use the whole retry budget and
   * report what stays behind. Never throws.
   */
  deliver(final: boolean): Promise<void>;
}

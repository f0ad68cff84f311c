import type { Logger } from '../../../core/toolkit';
import { LocalStore, type LocalRunInfo } from './local-store';
import { writeRunState, type RunTrackingState } from './run-state';
import type { RunSink } from './sink';
import type { KeyValue, LogBatch, TerminalStatus } from './types';

/**
 * Records to the local store (MLflow's FileStore layout) when no tracking server is
 * configured: the embedded default. `slipkit runs` lists what it holds and
 * `slipkit sync --to <uri>` uploads it to a server later.
 */
export class LocalSink implements RunSink {
  readonly kind = 'local';
  private run: LocalRunInfo | undefined;

  constructor(
    readonly store: LocalStore,
    private readonly log: Logger,
  ) {}

  get location(): string {
    return this.store.root;
  }

  async open(runDir: string, state: RunTrackingState, tags: KeyValue[]): Promise<void> {
    const existing = state.runId ? this.store.getRun(state.runId) : undefined;
    if (state.runId && !existing) this.log.warn(`run ${state.runId} is no longer in ${this.store.root}; starting a new one`);
    if (existing) {
      this.run = this.store.setStatus(existing, 'RUNNING', null);
    } else {
      const experimentId = this.store.ensureExperiment(state.experiment);
      this.run = this.store.createRun(experimentId, state.runName, Date.now(), tags);
      state.experimentId = experimentId;
      state.runId = this.run.runId;
      state.artifactUri = this.run.artifactUri;
      state.params = {};
      writeRunState(runDir, state);
    }
    this.log.info(`tracking run ${this.run.runId} to the local store ${this.store.root} (list: slipkit runs --dir ${this.store.root})`);
  }

  async write(batches: LogBatch[]): Promise<void> {
    const run = this.requireRun();
    for (const b of batches) {
      const conflicts = this.store.writeParams(run, b.params);
      for (const c of conflicts) this.log.warn(`param ${c.key} is already logged with another value; MLflow params cannot change, keeping the first`);
      this.store.writeTags(run, b.tags);
      await this.store.appendMetrics(run, b.metrics);
    }
  }

  async artifact(localPath: string, artifactPath: string): Promise<void> {
    await this.store.copyArtifact(this.requireRun(), localPath, artifactPath);
  }

  async close(status: TerminalStatus, endTimeMs: number): Promise<void> {
    this.run = this.store.setStatus(this.requireRun(), status, endTimeMs);
  }

  async deliver(): Promise<void> {
    // Written synchronously to disk already.
  }

  private requireRun(): LocalRunInfo {
    if (!this.run) throw new Error('LocalSink used before open()');
    return this.run;
  }
}

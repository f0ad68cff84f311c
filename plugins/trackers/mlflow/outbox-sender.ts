import * as fs from 'node:fs';
import { type Logger, TrackingError } from '../../../core/toolkit';
import { isTransientTrackingError, MlflowApiError, MlflowUnreachableError } from './errors';
import { Outbox, type OutboxOp, type OutboxOpBody } from './outbox';
import type { MlflowRestClient } from './rest-client';
import { writeRunState, type RunTrackingState } from './run-state';
import { metricPointId, type LogBatch } from './types';

/** Tag that identifies a run created from an outbox, so a lost create answer never makes a second run. */
export const RUN_KEY_TAG = 'slipkit.run_key';

/** Outbox size past which a fully delivered log is emptied. */
const COMPACT_BYTES = 4 * 2 ** 20;

export type DrainOutcome =
  /** Everything queued was delivered (or refused for good and reported). */
  | 'delivered'
  /** The server is unreachable: the rest waits in the outbox. */
  | 'unreachable'
  /** The run cannot be created or reached (e.g. 403): nothing more can be sent until this is fixed. */
  | 'halted';

/**
 * Sends a run's outbox to an MLflow server, strictly in order, acknowledging each operation
 * in the run state as it lands. Transient failures (server down, 5xx, 429) stop the drain
 * and leave the rest buffered; final 4xx refusals are reported with MLflow's error_code and
 * message, kept in rejected.jsonl, and skipped, so one bad request never blocks the run.
 *
 * No metric point is sent twice: an operation whose earlier attempt may have reached the
 * server (a timeout, a reset, a 5xx, or any operation read back from disk after a restart)
 * is reconciled against the metric histories on the server before it is resent.
 */
export class OutboxSender {
  private readonly queue: OutboxOp[];
  private readonly uncertain = new Set<number>();
  /** Metric point ids the server holds, per key, for keys fetched while reconciling; kept current as batches land. */
  private readonly known = new Map<string, Set<string>>();
  private readonly reported = new Set<string>();
  private unreachableSince: number | undefined;
  private haltReason: string | undefined;
  private sentSinceOutage = 0;
  /** Operations the server refused for good. */
  rejected = 0;

  constructor(
    readonly outbox: Outbox,
    private readonly state: RunTrackingState,
    private readonly client: MlflowRestClient,
    private readonly log: Logger,
  ) {
    const { ops, lastSeq, unreadable } = outbox.read(state.ackedSeq);
    if (unreadable) log.warn(`${outbox.file}: skipped ${unreadable} unreadable line(s)`);
    this.queue = ops;
    state.nextSeq = Math.max(state.nextSeq, lastSeq + 1);
    // Operations read back from disk may have reached the server before the last process
    // stopped (it acknowledges each one after it lands): check before resending any of them.
    for (const op of ops) this.uncertain.add(op.seq);
  }

  get pending(): number {
    return this.queue.length;
  }

  get isUnreachable(): boolean {
    return this.unreachableSince !== undefined;
  }

  get halted(): string | undefined {
    return this.haltReason;
  }

  /** Numbers the operations, writes them to the outbox and queues them for sending. */
  async enqueue(bodies: readonly OutboxOpBody[]): Promise<void> {
    if (!bodies.length) return;
    const ops = bodies.map((b) => ({ ...b, seq: this.state.nextSeq++ }) as OutboxOp);
    await this.outbox.append(ops);
    this.queue.push(...ops);
  }

  /**
   * Sends queued operations until none is left or the server stops answering. `patient`
   * uses the client's full retry policy even during an outage; otherwise, once the server
   * is known to be down, each drain makes a single attempt (a cheap probe).
   */
  async drain(patient: boolean): Promise<DrainOutcome> {
    if (this.haltReason) return 'halted';
    while (this.queue.length) {
      const op = this.queue[0];
      const client = patient || !this.unreachableSince ? this.client : this.client.withRetry({ maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 });
      try {
        await this.send(op, client);
      } catch (err) {
        if (isTransientTrackingError(err)) {
          if (!(err instanceof MlflowUnreachableError && !err.maybeDelivered)) this.markUncertain(op);
          this.noteOutage(err as Error);
          return 'unreachable';
        }
        if (op.op === 'createRun' || (err instanceof MlflowApiError && (err.status === 401 || err.status === 403))) {
          this.haltReason = (err as Error).message;
          this.log.error(`${(err as Error).message}; ${this.queue.length} operation(s) stay in ${this.outbox.file}: fix this and run "slipkit sync ${this.outbox.runDir}"`);
          return 'halted';
        }
        await this.refuse(op, err as Error);
      }
      this.acknowledge(op);
    }
    if (this.unreachableSince !== undefined) {
      this.log.info(`tracking server ${this.client.displayUri} is back: delivered ${this.sentSinceOutage} buffered operation(s)`);
      this.unreachableSince = undefined;
    }
    this.outbox.compactIfDelivered(COMPACT_BYTES);
    return 'delivered';
  }

  private noteOutage(err: Error): void {
    if (this.unreachableSince === undefined) {
      this.unreachableSince = Date.now();
      this.sentSinceOutage = 0;
      this.log.warn(`${err.message}; buffering to ${this.outbox.file} and resending when the server is back`);
    } else {
      this.log.debug(`still unreachable: ${err.message}`);
    }
  }

  private acknowledge(op: OutboxOp): void {
    this.queue.shift();
    this.uncertain.delete(op.seq);
    this.state.ackedSeq = op.seq;
    writeRunState(this.outbox.runDir, this.state);
    this.sentSinceOutage++;
  }

  private async refuse(op: OutboxOp, err: Error): Promise<void> {
    this.rejected++;
    const what = describe(op);
    const reason = err instanceof MlflowApiError ? `${err.status} ${err.errorCode}: ${err.serverMessage}` : err.message;
    const key = err instanceof MlflowApiError ? `${err.errorCode}:${err.serverMessage}` : err.message;
    if (!this.reported.has(key)) {
      this.reported.add(key);
      this.log.error(`MLflow refused ${what}: ${reason} (training goes on; the refused request is kept in ${this.outbox.file.replace(/outbox\.jsonl$/, 'rejected.jsonl')})`);
    } else {
      this.log.debug(`MLflow refused ${what} again: ${reason}`);
    }
    await this.outbox.reject(op, reason).catch(() => undefined);
  }

  private async send(op: OutboxOp, client: MlflowRestClient): Promise<void> {
    switch (op.op) {
      case 'createRun':
        return this.createRun(op, client);
      case 'resumeRun':
        return client.setRunStatus(this.runId(), 'RUNNING');
      case 'logBatch': {
        const batch = this.uncertain.has(op.seq) ? await this.withoutDelivered(op.batch, client) : op.batch;
        if (batch.metrics.length + batch.params.length + batch.tags.length) await client.logBatch(this.runId(), batch);
        for (const m of batch.metrics) this.known.get(m.key)?.add(metricPointId(m));
        return;
      }
      case 'artifact': {
        if (!fs.existsSync(op.localPath)) throw new TrackingError(`artifact ${op.localPath} no longer exists`);
        const artifactUri = this.state.artifactUri ?? (await client.getRun(this.runId())).info.artifact_uri;
        this.state.artifactUri = artifactUri;
        return client.uploadArtifact(artifactUri, op.localPath, op.artifactPath);
      }
      case 'endRun':
        return client.setRunStatus(this.runId(), op.status, op.endTime);
    }
  }

  private async createRun(op: Extract<OutboxOp, { op: 'createRun' }>, client: MlflowRestClient): Promise<void> {
    const experimentId = await client.ensureExperiment(this.state.experiment);
    let run = this.uncertain.has(op.seq)
      ? (await client.searchRuns({ experiment_ids: [experimentId], filter: `tags.\`${RUN_KEY_TAG}\` = '${op.runKey}'`, run_view_type: 'ALL' }))[0]
      : undefined;
    run ??= await client.createRun({
      experiment_id: experimentId,
      run_name: this.state.runName,
      start_time: op.startTime,
      tags: [...op.tags, { key: RUN_KEY_TAG, value: op.runKey }],
    });
    this.state.experimentId = experimentId;
    this.state.runId = run.info.run_id;
    this.state.artifactUri = run.info.artifact_uri;
    writeRunState(this.outbox.runDir, this.state);
    this.log.info(`MLflow run ${run.info.run_id} in experiment "${this.state.experiment}" on ${client.displayUri}`);
  }

  /** An attempt that may have landed: what the server holds for its keys is no longer known. */
  private markUncertain(op: OutboxOp): void {
    this.uncertain.add(op.seq);
    if (op.op === 'logBatch') for (const m of op.batch.metrics) this.known.delete(m.key);
  }

  /**
   * The batch without the metric points the server already has (params and tags are
   * idempotent). Each key's history is fetched once and then kept current, so replaying a
   * long outbox costs one history request per metric key, not one per request.
   */
  private async withoutDelivered(batch: LogBatch, client: MlflowRestClient): Promise<LogBatch> {
    if (!batch.metrics.length) return batch;
    for (const key of new Set(batch.metrics.map((m) => m.key))) {
      if (!this.known.has(key)) this.known.set(key, new Set((await client.getMetricHistory(this.runId(), key)).map(metricPointId)));
    }
    const metrics = batch.metrics.filter((m) => !this.known.get(m.key)!.has(metricPointId(m)));
    if (metrics.length < batch.metrics.length) this.log.debug(`${batch.metrics.length - metrics.length} metric point(s) had already arrived; not resending them`);
    return { ...batch, metrics };
  }

  private runId(): string {
    if (!this.state.runId) throw new TrackingError('the MLflow run was never created');
    return this.state.runId;
  }
}

function describe(op: OutboxOp): string {
  switch (op.op) {
    case 'logBatch': {
      const b = op.batch;
      const keys = [...new Set([...b.metrics, ...b.params, ...b.tags].map((e) => e.key))];
      return `a log-batch of ${b.metrics.length} metric(s), ${b.params.length} param(s), ${b.tags.length} tag(s) (keys ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''})`;
    }
    case 'artifact':
      return `artifact ${op.artifactPath}`;
    case 'endRun':
      return `ending the run as ${op.status}`;
    case 'resumeRun':
      return 'resuming the run';
    case 'createRun':
      return 'creating the run';
  }
}

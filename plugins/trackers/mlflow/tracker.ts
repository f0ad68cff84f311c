import * as path from 'node:path';
import type { Logger, RunInfo, RunStatus, Tracker } from '../../../core/toolkit';
import { capValue, MLFLOW_LIMITS, sanitizeKey, splitLogBatch } from './limits';
import { userName } from './local-store';
import type { Redactor } from '../shared/redact';
import { readRunState, writeRunState, type RunTrackingState } from './run-state';
import type { RunSink } from './sink';
import type { KeyValue, MetricPoint } from './types';

export interface MlflowTrackerOptions {
  /** Experiment name; overrides the one the engine passes in RunInfo. */
  experiment?: string;
  /** How often buffered metrics are written out and sent. */
  flushIntervalMs: number;
  /** Buffered points that trigger an early flush. */
  flushAtPoints?: number;
}

/** Tag holding the error of a FAILED (or KILLED) run. */
export const ERROR_TAG = 'slipkit.error';

/**
 * The `mlflow` tracker: what the engine calls. It makes every record acceptable to MLflow
 * (credentials redacted, keys sanitised, values capped, batches within limits, params never
 * re-logged with another value) and hands it to a sink (a server through the outbox, or the
 * local store). logMetrics only appends to memory; a timer writes points out in the
 * background. Nothing here throws into the training loop: failures are logged.
 */
export class MlflowTracker implements Tracker {
  private state: RunTrackingState | undefined;
  private runDir = '';
  private pending: MetricPoint[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly keyCache = new Map<string, string>();
  private readonly warned = new Set<string>();
  private readonly flushAt: number;
  /** For a resumed run: the steps per metric key that the interrupted attempt already wrote out. */
  private alreadyLogged: Record<string, number> = {};
  private skippedPoints = 0;

  constructor(
    private readonly sink: RunSink,
    private readonly redactor: Redactor,
    private readonly log: Logger,
    private readonly options: MlflowTrackerOptions,
  ) {
    this.flushAt = options.flushAtPoints ?? MLFLOW_LIMITS.metricsPerBatch;
  }

  async start(run: RunInfo): Promise<void> {
    this.runDir = path.resolve(run.runDir);
    const experiment = this.options.experiment ?? run.experiment;
    let state = readRunState(this.runDir);
    if (state && (state.store !== this.sink.kind || state.location !== this.sink.location)) {
      this.log.warn(`${this.runDir} was tracked to ${state.store} ${state.location}; this run goes to ${this.sink.kind} ${this.sink.location} as a new MLflow run`);
      state = undefined;
    } else if (state && !run.resumed) {
      this.log.warn(`${this.runDir} already has an MLflow run (${state.runId ?? 'not yet created'}); continuing it`);
    } else if (!state && run.resumed) {
      this.log.warn(`${this.runDir} has no tracking state; the resumed run starts a new MLflow run`);
    }
    state ??= {
      version: 1,
      store: this.sink.kind,
      location: this.sink.location,
      experiment,
      runName: run.name,
      params: {},
      ackedSeq: 0,
      nextSeq: 1,
    };
    state.writerPid = process.pid;
    writeRunState(this.runDir, state);
    this.state = state;
    this.alreadyLogged = run.resumed ? { ...(state.metricSteps ?? {}) } : {};
    const tags = this.prepare('tag', {
      'mlflow.user': userName(),
      'mlflow.source.name': 'slipkit',
      'mlflow.source.type': 'LOCAL',
      'slipkit.run_dir': this.runDir,
    });
    await this.sink.open(this.runDir, state, tags);
    this.timer = setInterval(() => void this.flushInBackground(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  async logParams(params: Record<string, string>): Promise<void> {
    const state = this.state;
    if (!state) return this.notStarted('logParams');
    const fresh: KeyValue[] = [];
    for (const p of this.prepare('param', params)) {
      const logged = state.params[p.key];
      if (logged === undefined) {
        state.params[p.key] = p.value;
        fresh.push(p);
      } else if (logged !== p.value) {
        this.warnOnce(`param:${p.key}`, `param ${p.key} was logged as "${logged}"; MLflow params cannot change, so "${p.value}" is not logged`);
      }
    }
    if (!fresh.length) return;
    writeRunState(this.runDir, state);
    await this.serial(() => this.sink.write(splitLogBatch({ metrics: [], params: fresh, tags: [] })));
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    if (!this.state) return this.notStarted('setTags');
    const prepared = this.prepare('tag', tags);
    await this.serial(() => this.sink.write(splitLogBatch({ metrics: [], params: [], tags: prepared })));
  }

  logMetrics(metrics: Record<string, number>, step: number, timestampMs?: number): void {
    try {
      if (!this.state) return this.warnOnce('not-started', 'logMetrics before start(): ignored');
      const timestamp = Math.round(timestampMs ?? Date.now());
      for (const [raw, value] of Object.entries(metrics)) {
        if (typeof value !== 'number') {
          this.warnOnce(`nan-type:${raw}`, `metric ${raw} is ${typeof value}, not a number: not logged`);
          continue;
        }
        const key = this.metricKey(raw);
        const at = Math.trunc(step);
        if (at <= (this.alreadyLogged[key] ?? -Infinity)) {
          this.skippedPoints++;
          continue;
        }
        this.pending.push({ key, value, timestamp, step: at });
      }
      if (this.pending.length >= this.flushAt) void this.flushInBackground();
    } catch (err) {
      this.warnOnce('logMetrics', `logMetrics failed: ${(err as Error).message}`);
    }
  }

  async logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    if (!this.state) return this.notStarted('logArtifact');
    const dest = (artifactPath ?? path.basename(localPath))
      .split('/')
      .filter((s) => s && s !== '.' && s !== '..')
      .join('/');
    await this.serial(() => this.sink.artifact(localPath, dest || path.basename(localPath)));
  }

  async flush(): Promise<void> {
    if (!this.state) return;
    await this.writePending();
    await this.sink.deliver(false);
  }

  async end(status: Exclude<RunStatus, 'RUNNING'>, error?: string): Promise<void> {
    const state = this.state;
    if (!state) return this.notStarted('end');
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.writePending();
    if (error) {
      const tags = this.prepare('tag', { [ERROR_TAG]: error });
      await this.serial(() => this.sink.write(splitLogBatch({ metrics: [], params: [], tags })));
    }
    await this.serial(() => this.sink.close(status, Date.now()));
    await this.sink.deliver(true);
    state.writerPid = undefined;
    writeRunState(this.runDir, state);
    if (this.skippedPoints) this.log.info(`${this.skippedPoints} metric point(s) at steps the interrupted run had already logged were not sent again`);
    this.log.debug(`run ended ${status}`);
  }

  /** Moves buffered points to the sink, as batches within the limits, in logging order. */
  private writePending(): Promise<void> {
    return this.serial(async () => {
      if (!this.pending.length) return;
      const points = this.pending;
      this.pending = [];
      await this.sink.write(splitLogBatch({ metrics: points, params: [], tags: [] }));
      this.recordSteps(points);
    });
  }

  /** Remembers the highest step written per key (see RunTrackingState.metricSteps). */
  private recordSteps(points: readonly MetricPoint[]): void {
    const state = this.state;
    if (!state) return;
    const steps = (state.metricSteps ??= {});
    for (const p of points) if (p.step > (steps[p.key] ?? -Infinity)) steps[p.key] = p.step;
    writeRunState(this.runDir, state);
  }

  private async flushInBackground(): Promise<void> {
    try {
      await this.writePending();
      await this.sink.deliver(false);
    } catch (err) {
      this.warnOnce('background', `tracking in the background failed: ${(err as Error).message}`);
    }
  }

  /** Runs sink writes one after another, so records keep their order; failures are logged, never thrown. */
  private serial(task: () => Promise<void>): Promise<void> {
    const next = this.chain.then(task).catch((err: Error) => this.log.error(`tracking: ${err.message}`));
    this.chain = next;
    return next;
  }

  /** Redacts, sanitises keys and caps values of params or tags. */
  private prepare(what: 'param' | 'tag', record: Record<string, string>): KeyValue[] {
    const maxChars = what === 'param' ? MLFLOW_LIMITS.paramValueChars : MLFLOW_LIMITS.tagValueChars;
    return Object.entries(this.redactor.record(record)).map(([raw, v]) => {
      const key = this.cleanKey(what, raw);
      const capped = capValue(String(v), maxChars);
      if (capped.cut) this.warnOnce(`cut:${key}`, `${what} ${key} is longer than ${maxChars} characters (MLflow's limit): cut to ${maxChars}`);
      return { key, value: capped.value };
    });
  }

  private metricKey(raw: string): string {
    let key = this.keyCache.get(raw);
    if (key === undefined) {
      key = this.cleanKey('metric', this.redactor.text(raw));
      this.keyCache.set(raw, key);
    }
    return key;
  }

  private cleanKey(what: string, raw: string): string {
    const key = sanitizeKey(raw);
    if (key !== raw) this.warnOnce(`key:${raw}`, `${what} key "${this.redactor.text(raw)}" is not a valid MLflow key; logged as "${key}"`);
    return key;
  }

  private warnOnce(id: string, message: string): void {
    if (this.warned.has(id)) return;
    this.warned.add(id);
    this.log.warn(this.redactor.text(message));
  }

  private notStarted(call: string): void {
    this.warnOnce('not-started', `${call} before start(): ignored`);
  }
}

import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../../core/toolkit';
import { Outbox, type OutboxOpBody } from './outbox';
import { OutboxSender } from './outbox-sender';
import type { MlflowRestClient } from './rest-client';
import type { RunTrackingState } from './run-state';
import type { RunSink } from './sink';
import type { KeyValue, LogBatch, TerminalStatus } from './types';

/**
 * Records to an MLflow tracking server. Every operation goes to the run's outbox on disk
 * first and is sent from there in order, so an outage, a crash or a kill loses nothing;
 * `slipkit sync <run-dir>` sends whatever is left.
 */
export class RestSink implements RunSink {
  readonly kind = 'rest';
  private sender: OutboxSender | undefined;
  private delivering: Promise<void> | undefined;

  constructor(
    private readonly client: MlflowRestClient,
    private readonly log: Logger,
  ) {}

  get location(): string {
    return this.client.displayUri;
  }

  async open(runDir: string, state: RunTrackingState, tags: KeyValue[]): Promise<void> {
    this.sender = new OutboxSender(new Outbox(runDir), state, this.client, this.log);
    if (state.runId || this.sender.pending) {
      // A resumed run (or one whose creation is still in the outbox): continue it.
      await this.sender.enqueue([{ op: 'resumeRun' }]);
    } else {
      await this.sender.enqueue([{ op: 'createRun', startTime: Date.now(), tags, runKey: randomUUID() }]);
    }
    void this.deliver(false);
  }

  async write(batches: LogBatch[]): Promise<void> {
    await this.requireSender().enqueue(batches.map((batch): OutboxOpBody => ({ op: 'logBatch', batch })));
  }

  async artifact(localPath: string, artifactPath: string): Promise<void> {
    const ops: OutboxOpBody[] = [];
    // Absolute paths: `slipkit sync` may replay the outbox from another directory.
    const source = path.resolve(localPath);
    const stat = await fs.promises.stat(source);
    if (stat.isDirectory()) {
      for (const rel of await filesUnder(source)) ops.push({ op: 'artifact', localPath: path.join(source, rel), artifactPath: `${artifactPath}/${rel}` });
    } else {
      ops.push({ op: 'artifact', localPath: source, artifactPath });
    }
    await this.requireSender().enqueue(ops);
  }

  async close(status: TerminalStatus, endTimeMs: number): Promise<void> {
    await this.requireSender().enqueue([{ op: 'endRun', status, endTime: endTimeMs }]);
  }

  /** Single-flight: concurrent calls share one drain, then a final call drains again if needed. */
  async deliver(final: boolean): Promise<void> {
    const sender = this.sender;
    if (!sender) return;
    while (this.delivering) await this.delivering;
    this.delivering = sender
      .drain(final)
      .then((outcome) => {
        if (final && outcome !== 'delivered' && sender.pending) {
          this.log.warn(
            `${sender.pending} tracking operation(s) not delivered to ${this.location}; they are kept in ${sender.outbox.file}: ` +
              `run "slipkit sync ${sender.outbox.runDir}" when the server is reachable`,
          );
        }
      })
      .catch((err: Error) => this.log.error(`tracking: ${err.message}`))
      .finally(() => {
        this.delivering = undefined;
      });
    await this.delivering;
  }

  /** Operations still in the outbox. */
  get pending(): number {
    return this.sender?.pending ?? 0;
  }

  private requireSender(): OutboxSender {
    if (!this.sender) throw new Error('RestSink used before open()');
    return this.sender;
  }
}

async function filesUnder(dir: string, sub = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.promises.readdir(path.join(dir, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await filesUnder(dir, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

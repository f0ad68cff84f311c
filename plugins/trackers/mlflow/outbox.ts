import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromJsonDouble, toJsonDouble, type JsonDouble } from './limits';
import { trackingDir } from './run-state';
import type { KeyValue, LogBatch, TerminalStatus } from './types';

/**
 * One operation on the MLflow run, as written to the run's outbox before it is sent. Each
 * `logBatch` is exactly one log-batch request (already split within the server's limits),
 * so a replay sends the same requests in the same order.
 */
export type OutboxOpBody =
  | { op: 'createRun'; startTime: number; tags: KeyValue[]; /** Tag value that finds the run again if the create's answer was lost. */ runKey: string }
  | { op: 'resumeRun' }
  | { op: 'logBatch'; batch: LogBatch }
  | { op: 'artifact'; localPath: string; artifactPath: string }
  | { op: 'endRun'; status: TerminalStatus; endTime: number };

export type OutboxOp = OutboxOpBody & { seq: number };

export const OUTBOX_FILE = 'outbox.jsonl';
export const REJECTED_FILE = 'rejected.jsonl';

/** Metric values in JSON: NaN and ±Infinity would otherwise become null. */
function encode(op: OutboxOp): string {
  if (op.op !== 'logBatch') return JSON.stringify(op);
  const metrics = op.batch.metrics.map((m) => ({ ...m, value: toJsonDouble(m.value) }));
  return JSON.stringify({ ...op, batch: { ...op.batch, metrics } });
}

function decode(line: string): OutboxOp {
  const op = JSON.parse(line) as OutboxOp;
  if (op.op === 'logBatch') {
    op.batch.metrics = op.batch.metrics.map((m) => ({ ...m, value: fromJsonDouble(m.value as number | JsonDouble) }));
  }
  return op;
}

/**
 * The run's write-ahead log (`<runDir>/tracking/outbox.jsonl`): every operation is appended
 * here before it is sent, so a server outage, a crash or a kill loses nothing. Lines are
 * replayed in sequence order from the last acknowledged one.
 */
export class Outbox {
  readonly file: string;

  constructor(readonly runDir: string) {
    this.file = path.join(trackingDir(runDir), OUTBOX_FILE);
  }

  /** Appends operations (one line each); resolves once they are on disk. */
  async append(ops: readonly OutboxOp[]): Promise<void> {
    if (!ops.length) return;
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    await fs.promises.appendFile(this.file, ops.map((op) => encode(op) + '\n').join(''));
  }

  /**
   * Every operation after `ackedSeq`, in order, and how many lines could not be read. A torn
   * line (the process died while appending it) is closed with a newline first, so that later
   * appends start on a line of their own; its operation was never acknowledged to anyone.
   */
  read(ackedSeq: number): { ops: OutboxOp[]; lastSeq: number; unreadable: number } {
    if (!fs.existsSync(this.file)) return { ops: [], lastSeq: ackedSeq, unreadable: 0 };
    let text = fs.readFileSync(this.file, 'utf8');
    if (text.length && !text.endsWith('\n')) {
      fs.appendFileSync(this.file, '\n');
      text += '\n';
    }
    const ops: OutboxOp[] = [];
    let lastSeq = ackedSeq;
    let unreadable = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let op: OutboxOp;
      try {
        op = decode(line);
      } catch {
        unreadable++;
        continue;
      }
      lastSeq = Math.max(lastSeq, op.seq);
      if (op.seq > ackedSeq) ops.push(op);
    }
    ops.sort((a, b) => a.seq - b.seq);
    return { ops, lastSeq, unreadable };
  }

  /** Empties the log once everything in it is acknowledged and it has grown past `maxBytes`. */
  compactIfDelivered(maxBytes: number): void {
    try {
      if (fs.statSync(this.file).size > maxBytes) fs.truncateSync(this.file, 0);
    } catch {
      // Nothing written yet.
    }
  }

  /** Keeps an operation the server refused for good, with the reason, for inspection. */
  async reject(op: OutboxOp, reason: string): Promise<void> {
    const file = path.join(path.dirname(this.file), REJECTED_FILE);
    await fs.promises.appendFile(file, JSON.stringify({ reason, op: JSON.parse(encode(op)) as unknown }) + '\n');
  }
}

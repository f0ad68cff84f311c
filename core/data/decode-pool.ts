import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
// sharp is loaded on the main thread before any worker, so its shared libraries stay
// loaded while workers come and go (sharp issue #2263).
import 'sharp';
import type { Logger } from '../logger';
import { decodeImage, transferList, type DecodeInput, type DecodeOutcome } from './decode';
import type { FromWorker, ToWorker } from './decode-protocol';

/** Decodes posted to one worker before it must answer: enough to hide message latency. */
const MAX_IN_FLIGHT_PER_WORKER = 4;
/** How long close() waits for a worker to finish before terminating it. */
const CLOSE_TIMEOUT_MS = 5000;

interface Task {
  id: number;
  input: DecodeInput;
  loadSize: number;
  resolve: (outcome: DecodeOutcome) => void;
  reject: (err: Error) => void;
}

interface WorkerSlot {
  worker: Worker;
  pending: Map<number, Task>;
  exited: Promise<void>;
}

/**
 * Decodes images with sharp, either inline (workers = 0) or in a pool of worker threads
 * that receive encoded bytes and send back RGB pixels as transferred ArrayBuffers.
 * Results are promises; their order is the caller's business.
 */
export class DecodePool {
  private readonly slots: WorkerSlot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 0;
  private fatal?: Error;
  private closed = false;

  constructor(workers: number, log: Logger) {
    if (workers <= 0) return;
    const script = path.join(__dirname, 'decode-worker.js');
    if (!fs.existsSync(script)) {
      // Running from TypeScript sources (ts-node): there is no compiled worker to start.
      log.warn(`decoding inline: no compiled worker at ${script} (build with tsc to decode in worker threads)`);
      return;
    }
    for (let i = 0; i < workers; i++) this.slots.push(this.startWorker(script));
  }

  get workerCount(): number {
    return this.slots.length;
  }

  decode(input: DecodeInput, loadSize: number): Promise<DecodeOutcome> {
    if (this.closed) return Promise.reject(new Error('decode pool is closed'));
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.slots.length === 0) return decodeImage(input, loadSize);
    return new Promise<DecodeOutcome>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, input, loadSize, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new Error('decode pool closed'));
    await Promise.all(
      this.slots.map(async (slot) => {
        const close: ToWorker = { type: 'close' };
        slot.worker.postMessage(close);
        const timer = setTimeout(() => void slot.worker.terminate(), CLOSE_TIMEOUT_MS);
        await slot.exited;
        clearTimeout(timer);
      }),
    );
  }

  private startWorker(script: string): WorkerSlot {
    const worker = new Worker(script);
    const slot: WorkerSlot = {
      worker,
      pending: new Map(),
      exited: new Promise<void>((resolve) => worker.once('exit', () => resolve())),
    };
    worker.unref(); // an idle pool never keeps the process alive; dispatch() refs it while busy
    worker.on('message', (msg: FromWorker) => {
      const task = slot.pending.get(msg.id);
      if (!task) return;
      slot.pending.delete(msg.id);
      if (slot.pending.size === 0) worker.unref();
      task.resolve(msg.outcome);
      this.dispatch();
    });
    const fail = (err: Error): void => {
      this.fatal ??= err;
      for (const task of slot.pending.values()) task.reject(err);
      slot.pending.clear();
      for (const task of this.queue.splice(0)) task.reject(err);
    };
    worker.on('error', (err) => fail(new Error(`decode worker failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`decode worker exited unexpectedly (code ${code})`));
    });
    return slot;
  }

  /** Hands queued tasks to the least busy workers. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let best: WorkerSlot | undefined;
      for (const slot of this.slots) {
        if (slot.pending.size < MAX_IN_FLIGHT_PER_WORKER && (!best || slot.pending.size < best.pending.size)) best = slot;
      }
      if (!best) return;
      const task = this.queue.shift()!;
      best.pending.set(task.id, task);
      best.worker.ref();
      const msg: ToWorker = { type: 'decode', id: task.id, input: task.input, loadSize: task.loadSize };
      best.worker.postMessage(msg, transferList(task.input));
    }
  }
}

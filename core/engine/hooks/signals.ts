import type { Logger } from '../../logger';
import type { RunContext, TrainingHook } from './hook';

/** Where SIGINT/SIGTERM come from: the process, or an EventEmitter in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * SIGINT or SIGTERM during training: the current step finishes, then the run stops with a
 * checkpoint and the status KILLED. The handlers stay installed until the run's end tasks
 * are done, so a signal during the final evaluation does not kill the process half-way.
 */
export class SignalStop implements TrainingHook {
  private received?: NodeJS.Signals;

  constructor(
    private readonly log: Pick<Logger, 'warn'>,
    private readonly source: SignalSource = process,
  ) {}

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.received) return;
    this.received = signal;
    this.log.warn(`${signal} received: finishing the current step, writing a checkpoint and stopping`);
  };

  beforeRun(): void {
    for (const s of SIGNALS) this.source.on(s, this.onSignal);
  }

  /** A signal stops the run at the step in progress, not at the next read. */
  syncAt(): boolean {
    return this.received !== undefined;
  }

  afterStep(ctx: RunContext): void {
    if (this.received) ctx.requestStop(this.received);
  }

  afterRun(): void {
    for (const s of SIGNALS) this.source.off(s, this.onSignal);
  }
}

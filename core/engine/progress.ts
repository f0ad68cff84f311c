import { SingleBar } from 'cli-progress';

export interface StepFigures {
  step: number;
  totalSteps: number;
  loss: number;
  /** Each objective's loss, by label. */
  losses: Record<string, number>;
  lr: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

interface Stream {
  write(s: string): unknown;
  isTTY?: boolean;
}

const fmt = (x: number): string => (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(4) : x.toExponential(2));

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

export function describeStep(f: StepFigures): string {
  const parts = Object.entries(f.losses).map(([k, v]) => `${k} ${fmt(v)}`);
  return `loss ${fmt(f.loss)}${parts.length > 1 ? ` (${parts.join(', ')})` : ''} | lr ${f.lr.toExponential(2)} | ${f.imagesPerSecond.toFixed(1)} img/s | ETA ${eta(f.etaSeconds)}`;
}

/**
 * Training progress: a live bar (step, loss, each objective's loss, lr, img/s, ETA) on a
 * TTY; plain lines every `everySteps` steps otherwise (logs, CI, pipes).
 */
export class Progress {
  private bar?: SingleBar;

  constructor(
    private readonly stream: Stream,
    /** Plain lines every this many steps (`train.logEvery`); figures are read for them at least this often. */
    readonly everySteps: number,
  ) {}

  start(totalSteps: number, fromStep: number): void {
    if (this.stream.isTTY) {
      this.bar = new SingleBar({
        format: 'step {value}/{total} [{bar}] {figures}',
        stream: this.stream as NodeJS.WriteStream,
        hideCursor: true,
        barsize: 24,
        clearOnComplete: false,
      });
      this.bar.start(totalSteps, fromStep, { figures: '' });
    }
  }

  update(f: StepFigures): void {
    if (this.bar) this.bar.update(f.step, { figures: describeStep(f) });
    else if (f.step % this.everySteps === 0 || f.step === f.totalSteps) {
      this.stream.write(`step ${f.step}/${f.totalSteps} ${describeStep(f)}\n`);
    }
  }

  /** Prints a line without breaking the bar. */
  note(line: string): void {
    if (this.bar) {
      this.stream.write(`\r\x1b[K${line}\n`);
      this.bar.render();
    } else this.stream.write(line + '\n');
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

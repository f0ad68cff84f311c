/**
 * The one logger. Levels, a timestamped plain-text form when stderr is not a TTY,
 * and no console.log scattered in library code. Output goes to stderr so that
 * commands such as `slipkit resolve` keep stdout clean for data.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LogSink {
  write(line: string): void;
}

export class Logger {
  constructor(
    private level: LogLevel = (process.env.SLIPKIT_LOG_LEVEL as LogLevel) || 'info',
    private readonly sink: LogSink = process.stderr,
    private readonly scope = '',
  ) {}

  child(scope: string): Logger {
    const child = new Logger(this.level, this.sink, this.scope ? `${this.scope}:${scope}` : scope);
    return child;
  }

  setLevel(level: LogLevel): void {
    this.level = level;
  }

  isEnabled(level: LogLevel): boolean {
    return ORDER[level] >= ORDER[this.level];
  }

  debug(msg: string): void {
    this.emit('debug', msg);
  }
  info(msg: string): void {
    this.emit('info', msg);
  }
  warn(msg: string): void {
    this.emit('warn', msg);
  }
  error(msg: string): void {
    this.emit('error', msg);
  }

  private emit(level: LogLevel, msg: string): void {
    if (!this.isEnabled(level)) return;
    const scope = this.scope ? `[${this.scope}] ` : '';
    const tty = (this.sink as { isTTY?: boolean }).isTTY === true;
    const prefix = tty ? (level === 'info' ? '' : `${level}: `) : `${new Date().toISOString()} ${level.toUpperCase()} `;
    this.sink.write(`${prefix}${scope}${msg}\n`);
  }
}

/** Process-wide default; the CLI adjusts its level from --verbose / --quiet. */
export const log = new Logger();

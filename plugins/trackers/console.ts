import { definePlugin, type Logger, type LogLevel, type RunInfo, type RunStatus, type Tracker } from '../../core/toolkit';
import { environmentSecrets } from './shared/env-secrets';
import { Redactor } from './shared/redact';

/** The tracker's options, defaults filled (by the plugin builder, from the schema). */
export interface ConsoleTrackerOptions {
  level: Exclude<LogLevel, 'silent'>;
  /** Significant digits of metric values. */
  digits: number;
}

/**
 * Prints metrics (one line per logged step), params, tags, artifacts and the final status
 * through the logger. Handy for quick runs and CI logs; records nothing.
 */
export class ConsoleTracker implements Tracker {
  constructor(
    private readonly log: Logger,
    private readonly level: Exclude<LogLevel, 'silent'>,
    private readonly digits: number,
    private readonly redactor: Redactor,
  ) {}

  async start(run: RunInfo): Promise<void> {
    this.say(`run ${run.name} (experiment ${run.experiment})${run.resumed ? ', resumed' : ''} in ${run.runDir}`);
  }

  async logParams(params: Record<string, string>): Promise<void> {
    const entries = Object.entries(this.redactor.record(params));
    this.say(`${entries.length} param(s)`);
    if (this.log.isEnabled('debug')) for (const [k, v] of entries) this.log.debug(`param ${k}=${v}`);
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    const entries = Object.entries(this.redactor.record(tags));
    this.say(`tags ${entries.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }

  logMetrics(metrics: Record<string, number>, step: number): void {
    try {
      const parts = Object.entries(metrics).map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v, this.digits) : String(v)}`);
      this.say(`step ${step}  ${parts.join('  ')}`);
    } catch {
      // Printing must never disturb a training step.
    }
  }

  async logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    this.say(`artifact ${artifactPath ?? localPath} (${localPath})`);
  }

  async flush(): Promise<void> {
    // Nothing is buffered.
  }

  async end(status: Exclude<RunStatus, 'RUNNING'>, error?: string): Promise<void> {
    this.say(`run ${status}${error ? `: ${this.redactor.text(error)}` : ''}`);
  }

  private say(message: string): void {
    this.log[this.level](this.redactor.text(message));
  }
}

/** `digits` significant digits, without trailing zeros; exponent form for very small or large values. */
export function formatNumber(v: number, digits: number): string {
  if (!Number.isFinite(v) || v === 0) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1e-3 && abs < 1e6) return String(Number(v.toPrecision(digits)));
  return v.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, 'e');
}

export default definePlugin<'tracker', ConsoleTrackerOptions>({
  kind: 'tracker',
  name: 'console',
  description: 'prints metrics, params, tags and artifacts through the logger (records nothing)',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      level: { enum: ['debug', 'info', 'warn', 'error'], default: 'info', description: 'Log level of the printed lines.' },
      digits: { type: 'integer', minimum: 1, maximum: 17, default: 4, description: 'Significant digits of metric values.' },
    },
  },
  create: (options, ctx) => new ConsoleTracker(ctx.log, options.level, options.digits, new Redactor(environmentSecrets())),
});

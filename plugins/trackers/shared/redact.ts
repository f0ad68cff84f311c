import { Logger, type LogLevel } from '../../../core/toolkit';

/**
 * Keeps secrets out of what a run records and prints. Three rules, applied to every param
 * and tag value and every log line the tracker writes:
 * - the current credentials (token, password, the Authorization header) are masked wherever they appear;
 * - a value whose key names a secret (`…password`, `…token`, `apiKey`, …) is masked whole;
 * - `scheme://user:pass@host` URLs lose their user info.
 */
export const REDACTED = '***';

/** Last key segments that hold secrets: `password`, `db.secret`, `service.apiKey`, `hf_token`… */
const SECRET_KEY = /(^|[._\-/])(pass(word|wd)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|authorization|auth)$/i;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi;

export class Redactor {
  private readonly secrets: string[];

  /** `secrets`: exact strings to mask; short ones are ignored so that `a` is not masked everywhere. */
  constructor(secrets: readonly string[] = []) {
    this.secrets = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  }

  /** True when a key's own name says it holds a secret. */
  static isSecretKey(key: string): boolean {
    // camelCase counts as a boundary: `apiKey`, `hfToken`.
    return SECRET_KEY.test(key.replace(/([a-z0-9])([A-Z])/g, '$1_$2'));
  }

  text(s: string): string {
    let out = s.replace(URL_USERINFO, `$1${REDACTED}@`);
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  value(key: string, value: string): string {
    return Redactor.isSecretKey(key) ? REDACTED : this.text(value);
  }

  /** Masks values, and secrets inside keys too (a key is shown wherever its value is). */
  record(rec: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(rec).map(([k, v]) => [this.text(k), this.value(k, v)]));
  }
}

/** A URI as it may be printed: without user info. */
export function redactUri(uri: string): string {
  return uri.replace(URL_USERINFO, `$1${REDACTED}@`);
}

/** A logger that masks secrets in every message before passing it on. */
export class RedactingLogger extends Logger {
  constructor(
    private readonly inner: Logger,
    private readonly redactor: Redactor,
  ) {
    super('silent');
  }
  override child(scope: string): Logger {
    return new RedactingLogger(this.inner.child(scope), this.redactor);
  }
  override setLevel(level: LogLevel): void {
    this.inner.setLevel(level);
  }
  override isEnabled(level: LogLevel): boolean {
    return this.inner.isEnabled(level);
  }
  override debug(msg: string): void {
    if (this.inner.isEnabled('debug')) this.inner.debug(this.redactor.text(msg));
  }
  override info(msg: string): void {
    this.inner.info(this.redactor.text(msg));
  }
  override warn(msg: string): void {
    this.inner.warn(this.redactor.text(msg));
  }
  override error(msg: string): void {
    this.inner.error(this.redactor.text(msg));
  }
}

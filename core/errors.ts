/**
 * Typed errors that say where things went wrong. The CLI maps them to one readable
 * message and an exit code: 2 for bad input (spec, data, plugin options), 1 otherwise.
 */
export abstract class SlipkitError extends Error {
  /** Process exit code the CLI uses for this error. */
  abstract readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem in an experiment spec, located by a JSON path such as `objectives[1].temperature`. */
export interface SpecIssue {
  path: string;
  message: string;
}

/** The spec is invalid; carries every issue found, each with its JSON path. */
export class SpecError extends SlipkitError {
  readonly exitCode = 2;
  constructor(
    readonly issues: SpecIssue[],
    readonly source?: string,
  ) {
    super(SpecError.render(issues, source));
  }
  static at(path: string, message: string, source?: string): SpecError {
    return new SpecError([{ path, message }], source);
  }
  private static render(issues: SpecIssue[], source?: string): string {
    const head = source ? `invalid spec ${source}` : 'invalid spec';
    const lines = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    return issues.length === 1 ? `${head}: ${lines[0]}` : `${head}:\n  ${lines.join('\n  ')}`;
  }
}

/** Bad data: names the file and, where known, the line, shard or sample. */
export class DataError extends SlipkitError {
  readonly exitCode = 2;
  constructor(
    message: string,
    readonly file?: string,
    readonly location?: string,
    options?: { cause?: unknown },
  ) {
    super([file, location].filter(Boolean).join(':') + (file || location ? ': ' : '') + message, options);
  }
}

/** A plugin could not be registered, loaded or found. */
export class PluginError extends SlipkitError {
  readonly exitCode = 2;
}

/** A compute backend could not be set up: says what was tried and why it failed. */
export class BackendError extends SlipkitError {
  readonly exitCode = 1;
}

/** Training diverged or failed at a known step. */
export class TrainingError extends SlipkitError {
  readonly exitCode = 1;
}

/** Tracking server refused or could not be reached. */
export class TrackingError extends SlipkitError {
  readonly exitCode = 1;
}

export function exitCodeOf(err: unknown): number {
  return err instanceof SlipkitError ? err.exitCode : 1;
}

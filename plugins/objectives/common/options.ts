import { SpecError } from '../../../core/toolkit';

/**
 * Constructor-side checks of objective options. The spec schema already forbids these
 * values; objectives check again because they can be built without a spec (tests, library
 * use) and a zero temperature or a zero-width layer would otherwise fail later as NaN.
 */

/** Widths of an MLP head: hidden layers and output. */
export interface HeadOptions {
  hidden: number[];
  out: number;
}

/** Predictor widths: its output width equals the projector's output. */
export interface PredictorOptions {
  hidden: number[];
}

export interface MomentumOptions {
  start: number;
  end: number;
}

/** Objects get their missing keys from the defaults (one level deep); arrays and scalars are replaced. */
export type OptionsInput<T> = { [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? Partial<T[K]> : T[K] };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The options with every missing key (and missing key of a nested object) taken from `defaults`. */
export function withDefaults<T extends object>(defaults: T, given: OptionsInput<T> = {}): T {
  const base = { ...defaults } as Record<string, unknown>;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const fallback = base[key];
    out[key] = isPlainObject(fallback) && isPlainObject(value) ? { ...fallback, ...value } : value;
  }
  return out as unknown as T;
}

const got = (v: unknown): string => `(got ${JSON.stringify(v)})`;

export function requirePositive(path: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw SpecError.at(path, `must be > 0 ${got(value)}`);
}

export function requireNonNegative(path: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw SpecError.at(path, `must be >= 0 ${got(value)}`);
}

export function requirePositiveInteger(path: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw SpecError.at(path, `must be an integer >= 1 ${got(value)}`);
}

export function requireWidths(path: string, widths: readonly number[]): void {
  if (!Array.isArray(widths)) throw SpecError.at(path, `must be an array of layer widths ${got(widths)}`);
  widths.forEach((w, i) => requirePositiveInteger(`${path}[${i}]`, w));
}

export function requireHead(path: string, head: HeadOptions): void {
  requireWidths(`${path}.hidden`, head.hidden);
  requirePositiveInteger(`${path}.out`, head.out);
}

export function requireViews(path: string, views: readonly string[], count: number): void {
  if (!Array.isArray(views) || views.length !== count) {
    throw SpecError.at(path, `must list exactly ${count} view name(s) ${got(views)}`);
  }
  views.forEach((v, i) => {
    if (typeof v !== 'string' || v === '') throw SpecError.at(`${path}[${i}]`, `must be a view name ${got(v)}`);
  });
}

/** A cosine EMA schedule: 0 ≤ start ≤ end ≤ 1. */
export function requireMomentum(path: string, m: MomentumOptions): void {
  for (const key of ['start', 'end'] as const) {
    const v = m[key];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw SpecError.at(`${path}.${key}`, `must be in [0, 1] ${got(v)}`);
  }
  if (m.start > m.end) throw SpecError.at(`${path}.start`, `must be <= momentum.end (${m.end}) ${got(m.start)}`);
}

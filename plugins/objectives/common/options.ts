import { SpecError } from '../../../core/toolkit';

/**
 * Constructor-side checks of objective options. The spec schema already forbids these
 * values; objectives check again because they can be built without a spec (tests, library
 * use) and a zero temperature or a zero-width layer would otherwise fail later as NaN.
 * Defaults are not filled here: the plugin builder fills them from the schema.
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

/** A multi-crop view list: at least two views, of which the first `globalViews` (≥ 1) are the global crops. */
export function requireMultiCropViews(path: string, views: readonly string[], globalViews: number, globalPath: string): void {
  if (!Array.isArray(views) || views.length < 2) throw SpecError.at(path, `must list at least 2 view names ${got(views)}`);
  views.forEach((v, i) => {
    if (typeof v !== 'string' || v === '') throw SpecError.at(`${path}[${i}]`, `must be a view name ${got(v)}`);
  });
  requirePositiveInteger(globalPath, globalViews);
  if (globalViews > views.length) throw SpecError.at(globalPath, `must be at most the number of views, ${views.length} ${got(globalViews)}`);
}

/** A cosine EMA schedule: 0 ≤ start ≤ end ≤ 1. */
export function requireMomentum(path: string, m: MomentumOptions): void {
  for (const key of ['start', 'end'] as const) {
    const v = m[key];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw SpecError.at(`${path}.${key}`, `must be in [0, 1] ${got(v)}`);
  }
  if (m.start > m.end) throw SpecError.at(`${path}.start`, `must be <= momentum.end (${m.end}) ${got(m.start)}`);
}

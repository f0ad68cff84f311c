import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SweepPosition } from '../spec/sweep';
import { ownPackage } from '../version';

/** A stable hash of a spec: keys sorted, so the same content always hashes the same. */
export function specHash(spec: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(canonical(spec))).digest('hex').slice(0, 16);
}

/** Where a resolved spec lives on this machine: its base directory, its plugins' absolute paths. */
interface SpecLocation {
  baseDir: string;
  plugins?: string[];
}

/**
 * The spec without where it lives: no `baseDir`, plugin paths relative to it. The same
 * experiment checked out in two places hashes the same.
 */
export function withoutLocation<S extends SpecLocation>(spec: S): Omit<S, 'baseDir'> {
  const { baseDir, ...rest } = spec;
  if (!rest.plugins) return rest;
  return { ...rest, plugins: rest.plugins.map((p) => (path.isAbsolute(p) ? path.relative(baseDir, p) : p)) };
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

/** What makes a run reproducible: code version, backend, library versions, host, spec hash, seed. */
export function runTags(spec: SpecLocation & { seed: number }, backend: string): Record<string, string> {
  const own = ownPackage();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tfjs = require('@tensorflow/tfjs/package.json') as { version: string };
  return {
    'slipkit.git_commit': gitCommit(),
    'slipkit.backend': backend,
    'slipkit.version': own.version,
    'slipkit.tfjs_version': tfjs.version,
    'slipkit.node_version': process.version,
    'slipkit.host': os.hostname(),
    'slipkit.spec_hash': specHash(withoutLocation(spec)),
    'slipkit.seed': String(spec.seed),
  };
}

/** Tags that group a sweep's runs and say what each one varied (none outside a sweep). */
export function sweepTags(sweep: SweepPosition | undefined): Record<string, string> {
  if (!sweep) return {};
  return {
    'slipkit.sweep': sweep.name,
    'slipkit.sweep.member': `${sweep.index}/${sweep.count}`,
    'slipkit.sweep.values': JSON.stringify(sweep.values),
  };
}

import * as path from 'node:path';
import { SpecError } from '../errors';
import { loadExternalPlugins } from '../plugins/load-external';
import type { PluginRegistry } from '../plugins/registry';
import { loadSpec } from './load';
import { applyOverrides } from './overrides';
import { describeSweepValues, expandSweep, type SweepPosition } from './sweep';
import type { RawSpec, ResolvedSpec } from './types';
import { SpecValidator } from './validate';

export interface LoadedExperiment {
  spec: ResolvedSpec;
  /** Absolute path of the spec file. */
  file: string;
  /** Directory relative paths in the spec resolve against. */
  baseDir: string;
  /** Set when this run is one member of a spec's `sweep`. */
  sweep?: SweepPosition;
}

/**
 * The full path from a spec file to a validated spec with defaults: load and merge
 * `extends`, apply `--set` overrides, register the spec's external plugins, validate
 * everything. Nothing here creates a tensor. A spec with a `sweep` block is refused with a
 * pointer to resolveExperiments (the CLI's `run`, `validate` and `resolve` take sweeps).
 */
export function resolveExperiment(
  file: string,
  registry: PluginRegistry,
  overrides: readonly string[] = [],
): LoadedExperiment {
  const all = resolveExperiments(file, registry, overrides);
  if (all.length !== 1 || all[0].sweep) {
    throw SpecError.at(
      'sweep',
      `this spec is a sweep of ${all.length} runs; this command takes one run: pick a member with --set (e.g. the swept values) and --set sweep=null`,
      sourceName(path.resolve(file)),
    );
  }
  return all[0];
}

/**
 * Like resolveExperiment, for a spec that may hold a `sweep` block: one validated
 * experiment per sweep member (named `<name>-<index>`, the swept values set), or a single
 * one when there is no sweep. `--set` overrides apply before the sweep expands, so
 * `--set sweep=null` runs the spec without its sweep. Every member is validated before
 * any is returned; an invalid member's errors name it and its values.
 */
export function resolveExperiments(file: string, registry: PluginRegistry, overrides: readonly string[] = []): LoadedExperiment[] {
  const abs = path.resolve(file);
  const source = sourceName(abs);
  const raw = applyOverrides(loadSpec(abs), overrides);
  const members = expandSweep(raw, source);
  if (!members) return [resolveSpecObject(raw, path.dirname(abs), registry, source, abs)];
  // One validator for all members (compiling the composed schema is the slow part).
  for (const m of members) registerSpecPlugins(m.spec, path.dirname(abs), registry);
  const validator = new SpecValidator(registry);
  return members.map(({ spec, ...position }) => {
    const where = `${source} (sweep member ${position.index}: ${describeSweepValues(position.values)})`;
    return { spec: validator.validate(spec, where), file: abs, baseDir: path.dirname(abs), sweep: position };
  });
}

/** A spec file as errors name it: relative to the working directory when inside it. */
function sourceName(abs: string): string {
  return path.relative(process.cwd(), abs) || abs;
}

/**
 * Validates a spec that is already in memory (e.g. the resolved spec a run saved), as if it
 * sat in `baseDir`: its external plugins are registered and relative paths resolve there.
 */
export function resolveSpecObject(raw: RawSpec, baseDir: string, registry: PluginRegistry, source: string, file = source): LoadedExperiment {
  registerSpecPlugins(raw, baseDir, registry);
  const spec = new SpecValidator(registry).validate(raw, source);
  return { spec, file, baseDir };
}

/** Registers the external plugins a spec names (relative to `baseDir`), so its schema covers them. */
function registerSpecPlugins(raw: RawSpec, baseDir: string, registry: PluginRegistry): void {
  if (Array.isArray(raw.plugins) && raw.plugins.every((p) => typeof p === 'string')) {
    loadExternalPlugins(registry, raw.plugins as string[], baseDir);
  }
}

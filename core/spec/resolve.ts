import * as path from 'node:path';
import { SpecError } from '../errors';
import { loadExternalPlugins } from '../plugins/load-external';
import type { PluginRegistry } from '../plugins/registry';
import { isRelativePluginPath, loadSpec } from './load';
import { applyOverrides } from './overrides';
import { describeSweepValues, expandSweep, type SweepPosition } from './sweep';
import type { RawSpec, ResolvedSpec } from './types';
import { validatorFor } from './validate';

export interface LoadedExperiment {
  /** The validated spec, defaults filled, `baseDir` and external plugin paths absolute. */
  spec: ResolvedSpec;
  /** Absolute path of the spec file. */
  file: string;
  /** Directory relative paths in the spec resolve against (the spec's `baseDir`). */
  baseDir: string;
  /** Set when this run is one member of a spec's `sweep`. */
  sweep?: SweepPosition;
}

/** How a spec file is turned into experiments besides its own content. */
export interface ResolveOptions {
  /**
   * Top-level keys that replace the file's after `--set` overrides (e.g. `slipkit eval
   * --spec`'s eval list, with the `baseDir` of the file it came from).
   */
  replace?: RawSpec;
  /** Base directory when the spec names none (default: the spec file's directory). */
  baseDir?: string;
}

/**
 * Like resolveExperiments, for commands that take one run: a spec with a `sweep` block is
 * refused with a pointer to `--set sweep=null`.
 */
export function resolveExperiment(
  file: string,
  registry: PluginRegistry,
  overrides: readonly string[] = [],
  options: ResolveOptions = {},
): LoadedExperiment {
  const all = resolveExperiments(file, registry, overrides, options);
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
 * The one path from a spec file to validated experiments, for every command (run, resume,
 * eval, preview, validate, resolve) and every sweep member: load and merge `extends`, apply
 * `--set` overrides, fix the base directory, register the spec's external plugins, expand a
 * `sweep` block, validate everything (defaults filled). Nothing here creates a tensor.
 *
 * The file may be an experiment or the resolved spec a run (`spec.resolved.json`) or a
 * checkpoint (`spec.json`) saved: a resolved spec records its absolute `baseDir` and plugin
 * paths, so it reloads the same from any working directory.
 *
 * A sweep gives one experiment per member (named `<name>-<index>`, the swept values set);
 * overrides apply before it expands, so `--set sweep=null` runs the spec without it. Every
 * member is validated before any is returned; an invalid member's errors name it.
 */
export function resolveExperiments(
  file: string,
  registry: PluginRegistry,
  overrides: readonly string[] = [],
  options: ResolveOptions = {},
): LoadedExperiment[] {
  const abs = path.resolve(file);
  const source = sourceName(abs);
  const raw = applyOverrides(loadSpec(abs), overrides);
  if (options.replace) Object.assign(raw, structuredClone(options.replace));
  if (raw.extends !== undefined) throw SpecError.at('extends', 'can only be given in a spec file (--set applies after its bases are merged)', source);
  const members = expandSweep(raw, source) ?? [{ spec: raw }];
  // Every member's plugins are registered before the validator is compiled for them all.
  const located = members.map((m) => {
    const baseDir = fixBaseDir(m.spec, path.dirname(abs), options.baseDir);
    registerSpecPlugins(m.spec, baseDir, registry);
    return { member: m, baseDir };
  });
  const validator = validatorFor(registry);
  return located.map(({ member, baseDir }) => {
    if (!('index' in member)) return { spec: validator.validate(member.spec, source), file: abs, baseDir };
    const { spec, ...position } = member;
    const where = `${source} (sweep member ${position.index}: ${describeSweepValues(position.values)})`;
    return { spec: validator.validate(spec, where), file: abs, baseDir, sweep: position };
  });
}

/** A spec file as errors name it: relative to the working directory when inside it. */
function sourceName(abs: string): string {
  return path.relative(process.cwd(), abs) || abs;
}

/**
 * Makes the spec's `baseDir` absolute (a relative one is relative to the spec file; none
 * means `fallback`, else the spec file's directory) and its relative plugin paths absolute
 * against it (those `--set` added; the loader already fixed the files' own). A `baseDir`
 * that is not a string is left for the validator to report.
 */
function fixBaseDir(raw: RawSpec, fileDir: string, fallback: string | undefined): string {
  const given = raw.baseDir;
  const baseDir = typeof given === 'string' ? path.resolve(fileDir, given) : path.resolve(fileDir, fallback ?? '.');
  if (given === undefined || typeof given === 'string') raw.baseDir = baseDir;
  if (Array.isArray(raw.plugins)) raw.plugins = raw.plugins.map((p) => (isRelativePluginPath(p) ? path.resolve(baseDir, p) : p));
  return baseDir;
}

/** Registers the external plugins a spec names, so its schema covers them. */
function registerSpecPlugins(raw: RawSpec, baseDir: string, registry: PluginRegistry): void {
  if (Array.isArray(raw.plugins) && raw.plugins.every((p) => typeof p === 'string')) {
    loadExternalPlugins(registry, raw.plugins as string[], baseDir);
  }
}

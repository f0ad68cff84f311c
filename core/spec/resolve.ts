import * as path from 'node:path';
import { loadExternalPlugins } from '../plugins/load-external';
import type { PluginRegistry } from '../plugins/registry';
import { loadSpec } from './load';
import { applyOverrides } from './overrides';
import type { RawSpec, ResolvedSpec } from './types';
import { SpecValidator } from './validate';

export interface LoadedExperiment {
  spec: ResolvedSpec;
  /** Absolute path of the spec file. */
  file: string;
  /** Directory relative paths in the spec resolve against. */
  baseDir: string;
}

/**
 * The full path from a spec file to a validated spec with defaults: load and merge
 * `extends`, apply `--set` overrides, register the spec's external plugins, validate
 * everything. Nothing here creates a tensor.
 */
export function resolveExperiment(
  file: string,
  registry: PluginRegistry,
  overrides: readonly string[] = [],
): LoadedExperiment {
  const abs = path.resolve(file);
  const raw = applyOverrides(loadSpec(abs), overrides);
  return resolveSpecObject(raw, path.dirname(abs), registry, path.relative(process.cwd(), abs) || abs, abs);
}

/**
 * Validates a spec that is already in memory (e.g. the resolved spec a run saved), as if it
 * sat in `baseDir`: its external plugins are registered and relative paths resolve there.
 */
export function resolveSpecObject(raw: RawSpec, baseDir: string, registry: PluginRegistry, source: string, file = source): LoadedExperiment {
  if (Array.isArray(raw.plugins) && raw.plugins.every((p) => typeof p === 'string')) {
    loadExternalPlugins(registry, raw.plugins as string[], baseDir);
  }
  const spec = new SpecValidator(registry).validate(raw, source);
  return { spec, file, baseDir };
}

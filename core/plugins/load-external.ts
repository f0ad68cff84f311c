import * as fs from 'node:fs';
import * as path from 'node:path';
import { PluginError } from '../errors';
import type { AnyPluginDefinition } from './define';
import type { PluginRegistry } from './registry';

const loadedSources = new WeakMap<PluginRegistry, Set<string>>();
let tsRuntimeReady = false;

/** Lets `require` load a TypeScript plugin file (type-stripping only, decorator metadata kept). */
function enableTypeScript(): void {
  if (tsRuntimeReady) return;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('ts-node').register({
      transpileOnly: true,
      compilerOptions: { module: 'commonjs', experimentalDecorators: true, emitDecoratorMetadata: true },
    });
    tsRuntimeReady = true;
  } catch (err) {
    throw new PluginError('loading a .ts plugin needs ts-node (npm install --save-dev ts-node), or compile it to .js', {
      cause: err,
    });
  }
}

/** Module exports that count as plugin definitions: `default`, `plugin`, or a `plugins` array. */
function definitionsOf(mod: unknown, source: string): AnyPluginDefinition[] {
  const m = mod as Record<string, unknown> | undefined;
  const candidates = [m?.default, m?.plugins, m?.plugin, m].filter((x) => x !== undefined);
  for (const c of candidates) {
    const list = Array.isArray(c) ? c : [c];
    if (list.length > 0 && list.every((d) => d && typeof d === 'object' && 'kind' in d && 'name' in d)) {
      return list as AnyPluginDefinition[];
    }
  }
  throw new PluginError(`${source} exports no plugin definition (export default definePlugin({...}) or a "plugins" array)`);
}

function resolveSpecifier(specifier: string, baseDir: string, where: string): string {
  const isPath = specifier.startsWith('.') || path.isAbsolute(specifier);
  if (isPath) {
    const file = path.resolve(baseDir, specifier);
    if (!fs.existsSync(file)) throw new PluginError(`${where}: plugin file not found: ${file}`);
    return file;
  }
  try {
    return require.resolve(specifier, { paths: [baseDir, process.cwd()] });
  } catch (err) {
    throw new PluginError(`${where}: plugin package "${specifier}" is not installed (npm install ${specifier})`, {
      cause: err,
    });
  }
}

/**
 * Loads the plugins a spec lists (relative JS/TS files or installed npm packages) and
 * registers them exactly as built-ins are registered. Loading the same file again is a no-op.
 */
export function loadExternalPlugins(registry: PluginRegistry, specifiers: readonly string[], baseDir: string): void {
  const seen = loadedSources.get(registry) ?? new Set<string>();
  loadedSources.set(registry, seen);
  specifiers.forEach((specifier, i) => {
    const where = `plugins[${i}]`;
    const resolved = resolveSpecifier(specifier, baseDir, where);
    if (seen.has(resolved)) return;
    if (/\.(c|m)?ts$/.test(resolved)) enableTypeScript();
    let mod: unknown;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(resolved);
    } catch (err) {
      throw new PluginError(`${where}: cannot load ${resolved}: ${(err as Error).message}`, { cause: err });
    }
    const source = specifier.startsWith('.') || path.isAbsolute(specifier) ? resolved : `npm package ${specifier}`;
    registry.registerAll(definitionsOf(mod, source), source);
    seen.add(resolved);
  });
}

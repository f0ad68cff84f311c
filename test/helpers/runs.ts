import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtinPlugins } from '../../plugins/index';
import { Logger } from '../../core/logger';
import { PluginRegistry } from '../../core/plugins/registry';
import { resolveExperiment, type LoadedExperiment } from '../../core/spec/resolve';

/** A registry holding the built-in manifest, as the CLI makes it. */
export function builtinRegistry(): PluginRegistry {
  const r = new PluginRegistry();
  r.registerAll(builtinPlugins, 'the built-in manifest (plugins/index.ts)');
  return r;
}

/** A fresh temporary directory, removed by the caller. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `slipkit-${prefix}-`));
}

/** Output sink that remembers what was written. */
export function captureStream(): { write(s: string): boolean; text(): string; isTTY: false } {
  let buf = '';
  return {
    write(s: string) {
      buf += s;
      return true;
    },
    text: () => buf,
    isTTY: false,
  };
}

export const quietLog = new Logger('error', { write: () => undefined });

export function loadSpec(file: string, registry: PluginRegistry, overrides: string[] = []): LoadedExperiment {
  return resolveExperiment(file, registry, overrides);
}

export function specPath(...parts: string[]): string {
  return path.join(process.env.SLIPKIT_ROOT ?? process.cwd(), 'test', 'fixtures', 'specs', ...parts);
}

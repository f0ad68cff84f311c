import type { AnyPluginDefinition } from '../plugins/define';
import { PluginRegistry } from '../plugins/registry';

/** What every command gets: output streams and a way to make a registry holding the built-ins. */
export interface CliContext {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  builtins: readonly AnyPluginDefinition[];
  /** A fresh registry with the built-in manifest registered. */
  registry(): PluginRegistry;
  /** Set by a command whose outcome is not plain success (e.g. a run that was killed). */
  exitCode: number;
}

export const BUILTIN_SOURCE = 'the built-in manifest (plugins/index.ts)';

export function makeCliContext(
  builtins: readonly AnyPluginDefinition[],
  stdout: CliContext['stdout'] = process.stdout,
  stderr: CliContext['stderr'] = process.stderr,
): CliContext {
  return {
    stdout,
    stderr,
    builtins,
    exitCode: 0,
    registry() {
      const r = new PluginRegistry();
      r.registerAll(builtins, BUILTIN_SOURCE);
      return r;
    },
  };
}

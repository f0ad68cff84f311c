import type { Command } from 'commander';
import type { AnyPluginDefinition } from '../plugins/define';
import { PluginRegistry } from '../plugins/registry';

/** Adds one command to the program; core's commands and plugin-contributed ones alike. */
export type CliCommand = (program: Command, ctx: CliContext) => void;

/** What every command gets: output streams and a way to make a registry holding the built-ins. */
export interface CliContext {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  builtins: readonly AnyPluginDefinition[];
  /** A fresh registry with the built-in manifest registered. */
  registry(): PluginRegistry;
  /** Commands contributed by plugins (e.g. the MLflow tracker's `runs` and `sync`). */
  commands: readonly CliCommand[];
  /** Set by a command whose outcome is not plain success (e.g. a run that was killed). */
  exitCode: number;
}

export const BUILTIN_SOURCE = 'the built-in manifest (plugins/index.ts)';

export function makeCliContext(
  builtins: readonly AnyPluginDefinition[],
  stdout: CliContext['stdout'] = process.stdout,
  stderr: CliContext['stderr'] = process.stderr,
  commands: readonly CliCommand[] = [],
): CliContext {
  return {
    stdout,
    stderr,
    builtins,
    exitCode: 0,
    commands,
    registry() {
      const r = new PluginRegistry();
      r.registerAll(builtins, BUILTIN_SOURCE);
      return r;
    },
  };
}

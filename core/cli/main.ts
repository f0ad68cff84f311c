import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { exitCodeOf, SlipkitError } from '../errors';
import { log } from '../logger';
import { closeWorld, currentWorld } from '../distributed/open-world';
import type { AnyPluginDefinition } from '../plugins/define';
import { ownPackage } from '../version';
import { COMMANDS } from './commands';
import { makeCliContext, type CliContext } from './context';

/**
 * Leaves a data-parallel world at the end of a command: MPI_Finalize when it succeeded; when
 * it failed, MPI_Abort after reporting, so the other ranks stop now instead of waiting in a
 * collective until their timeout. No-op in a single process.
 */
function leaveWorld(code: number, report?: () => void): void {
  const world = currentWorld();
  if (world.size === 1) return;
  if (code === 0 || code === 130) return closeWorld();
  report?.();
  world.abort(code);
}

/** Exit codes: 0 ok, 2 invalid input (spec, data, plugin, usage), 1 any other failure. */
export const EXIT = { ok: 0, failure: 1, invalid: 2 } as const;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('slipkit')
    .description('declarative SLIP-style image pretraining on TensorFlow.js')
    .option('-v, --verbose', 'debug logging and stack traces on errors')
    .option('-q, --quiet', 'warnings and errors only')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) })
    .hook('preAction', (cmd) => {
      const o = cmd.opts<{ verbose?: boolean; quiet?: boolean }>();
      if (o.verbose) log.setLevel('debug');
      else if (o.quiet) log.setLevel('warn');
    });
  program.version(ownPackage().version);
  for (const register of [...COMMANDS, ...ctx.commands]) register(program, ctx);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/**
 * Runs the CLI and returns the exit code (never calls process.exit, so tests can call it).
 * `builtins` is the plugin manifest: core itself never names a plugin.
 */
export async function main(
  argv: string[],
  builtins: readonly AnyPluginDefinition[],
  ctx: CliContext = makeCliContext(builtins),
): Promise<number> {
  const program = buildProgram(ctx);
  try {
    ctx.exitCode = EXIT.ok;
    await program.parseAsync(argv);
    leaveWorld(ctx.exitCode);
    return ctx.exitCode;
  } catch (err) {
    leaveWorld(exitCodeOf(err), () => ctx.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`));
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return EXIT.ok;
      return EXIT.invalid;
    }
    const verbose = program.opts<{ verbose?: boolean }>().verbose;
    if (err instanceof SlipkitError && !verbose) ctx.stderr.write(`error: ${err.message}\n`);
    else ctx.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
    return exitCodeOf(err);
  }
}


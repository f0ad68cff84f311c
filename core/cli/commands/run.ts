import type { Command } from 'commander';
import { exitCodeOf } from '../../errors';
import { runExperiment } from '../../engine/run';
import { resolveExperiment } from '../../spec/resolve';
import type { CliContext } from '../context';
import { collect } from '../options';

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('validate a spec, build its plugins and train, evaluate and track it')
    .argument('<spec>', 'spec file')
    .option('--set <path=value>', 'override a value (repeatable), e.g. --set train.steps=100', collect, [])
    .option('--run-dir <dir>', 'run directory (default: <outDir>/<name>-<timestamp>)')
    .action(async (file: string, opts: { set: string[]; runDir?: string }) => {
      const registry = ctx.registry();
      const loaded = resolveExperiment(file, registry, opts.set);
      const result = await runExperiment(loaded, registry, { runDir: opts.runDir, stdout: ctx.stdout });
      if (result.status !== 'FINISHED') ctx.exitCode = result.status === 'KILLED' ? 130 : exitCodeOf(result.error);
    });
}

import type { Command } from 'commander';
import { resolveExperiment } from '../../spec/resolve';
import type { CliContext } from '../context';
import { collect } from '../options';

export function registerResolve(program: Command, ctx: CliContext): void {
  program
    .command('resolve')
    .description('print the resolved spec: bases merged, overrides applied, defaults filled')
    .argument('<spec>', 'spec file')
    .option('--set <path=value>', 'override a value (repeatable)', collect, [])
    .action((file: string, opts: { set: string[] }) => {
      const { spec } = resolveExperiment(file, ctx.registry(), opts.set);
      ctx.stdout.write(JSON.stringify(spec, null, 2) + '\n');
    });
}

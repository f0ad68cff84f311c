import type { Command } from 'commander';
import { resolveExperiment } from '../../spec/resolve';
import type { CliContext } from '../context';
import { collect } from '../options';

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('validate experiment specs against the base schema and every plugin schema')
    .argument('<spec...>', 'spec files')
    .option('--set <path=value>', 'override a value (repeatable), e.g. --set train.steps=100', collect, [])
    .action((files: string[], opts: { set: string[] }) => {
      const registry = ctx.registry();
      for (const file of files) {
        resolveExperiment(file, registry, opts.set);
        ctx.stdout.write(`ok ${file}\n`);
      }
    });
}

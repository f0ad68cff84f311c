import type { Command } from 'commander';
import { resolveExperiments } from '../../spec/resolve';
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
        const experiments = resolveExperiments(file, registry, opts.set);
        const sweep = experiments[0].sweep ? ` (sweep of ${experiments.length} runs, every member valid)` : '';
        ctx.stdout.write(`ok ${file}${sweep}\n`);
      }
    });
}

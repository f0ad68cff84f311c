import type { Command } from 'commander';
import { resolveExperiments } from '../../spec/resolve';
import type { CliContext } from '../context';
import { collect } from '../options';

export function registerResolve(program: Command, ctx: CliContext): void {
  program
    .command('resolve')
    .description('print the resolved spec: bases merged, overrides applied, defaults filled (a sweep: a JSON array of its members)')
    .argument('<spec>', 'spec file')
    .option('--set <path=value>', 'override a value (repeatable)', collect, [])
    .action((file: string, opts: { set: string[] }) => {
      const experiments = resolveExperiments(file, ctx.registry(), opts.set);
      const out = experiments[0].sweep ? experiments.map((e) => e.spec) : experiments[0].spec;
      ctx.stdout.write(JSON.stringify(out, null, 2) + '\n');
    });
}

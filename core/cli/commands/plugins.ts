import type { Command } from 'commander';
import { SpecError } from '../../errors';
import { isPluginKind, KIND_INFO, PLUGIN_KINDS } from '../../plugins/kinds';
import { didYouMean } from '../../plugins/suggest';
import type { CliContext } from '../context';

export function registerPlugins(program: Command, ctx: CliContext): void {
  program
    .command('plugins')
    .description('list registered plugins by kind (with --json, their option schemas too)')
    .argument('[kind]', `one of ${PLUGIN_KINDS.join(', ')}`)
    .option('--json', 'print kinds, names, descriptions, sources and schemas as JSON')
    .action((kind: string | undefined, opts: { json?: boolean }) => {
      if (kind !== undefined && !isPluginKind(kind)) {
        throw SpecError.at('kind', `unknown plugin kind "${kind}"${didYouMean(kind, PLUGIN_KINDS)}`);
      }
      const entries = ctx.registry().entries(kind);
      if (opts.json) {
        const rows = entries.map((e) => ({
          kind: e.definition.kind,
          name: e.definition.name,
          description: e.definition.description,
          source: e.source,
          schema: e.definition.schema,
        }));
        ctx.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      for (const k of kind ? [kind] : PLUGIN_KINDS) {
        const rows = entries.filter((e) => e.definition.kind === k);
        ctx.stdout.write(`${k} (${KIND_INFO[k].description})\n`);
        if (!rows.length) ctx.stdout.write('  (none)\n');
        const width = Math.max(0, ...rows.map((r) => r.definition.name.length));
        for (const r of rows) ctx.stdout.write(`  ${r.definition.name.padEnd(width)}  ${r.definition.description}\n`);
      }
    });
}

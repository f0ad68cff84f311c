import * as fs from 'node:fs';
import type { Command } from 'commander';
import { experimentSchemaText } from '../../spec/schema-file';
import type { CliContext } from '../context';

export function registerSchema(program: Command, ctx: CliContext): void {
  program
    .command('schema')
    .description('print (or write) the experiment JSON Schema generated from the plugin registry')
    .option('-o, --out <file>', 'write to a file instead of stdout (e.g. schemas/experiment.schema.json)')
    .action((opts: { out?: string }) => {
      const text = experimentSchemaText(ctx.registry());
      if (opts.out) fs.writeFileSync(opts.out, text);
      else ctx.stdout.write(text);
    });
}

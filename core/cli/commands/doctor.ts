import * as os from 'node:os';
import type { Command } from 'commander';
import { probeBackends } from '../../backend';
import type { CliContext } from '../context';

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('report versions and which compute backends work on this machine')
    .action(async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const own = require('../../../../package.json') as { version: string };
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const tfjs = require('@tensorflow/tfjs/package.json') as { version: string };
      const out = ctx.stdout;
      out.write(`slipkit ${own.version}\n`);
      out.write(`node ${process.version} on ${os.platform()} ${os.arch()}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB\n`);
      out.write(`@tensorflow/tfjs ${tfjs.version}\n`);
      out.write('backends (auto tries them in this order):\n');
      for (const p of await probeBackends()) {
        out.write(`  ${p.name.padEnd(10)} ${p.available ? 'available  ' : 'unavailable'}  ${p.reason}\n`);
      }
    });
}

import type { Command } from 'commander';
import { evaluateCheckpoint } from '../../engine/eval-checkpoint';
import { log } from '../../logger';
import type { CliContext } from '../context';

export function registerEval(program: Command, ctx: CliContext): void {
  program
    .command('eval')
    .description('run evaluators on a saved checkpoint (a checkpoint or run directory), or on a spec\'s model as model.init imports it (no training)')
    .argument('<checkpoint>', 'checkpoint directory, a run directory (its best, else last, checkpoint), or a spec .json with model.init')
    .option('--spec <file>', 'JSON file with an "eval" list to run instead of the checkpoint spec\'s')
    .action(async (target: string, opts: { spec?: string }) => {
      const metrics = await evaluateCheckpoint(target, ctx.registry(), log, opts.spec);
      for (const [k, v] of Object.entries(metrics)) ctx.stdout.write(`${k} ${v.toFixed(4)}\n`);
    });
}

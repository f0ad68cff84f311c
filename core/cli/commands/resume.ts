import type { Command } from 'commander';
import { exitCodeOf } from '../../errors';
import { resumeRun } from '../../engine/run';
import type { CliContext } from '../context';

export function registerResume(program: Command, ctx: CliContext): void {
  program
    .command('resume')
    .description('continue a run from its last checkpoint (weights, optimiser, RNG and data position)')
    .argument('<run-dir>', 'the run directory (holds run.json and checkpoints/)')
    .action(async (runDir: string) => {
      const result = await resumeRun(runDir, ctx.registry(), { stdout: ctx.stdout });
      if (result.status !== 'FINISHED') ctx.exitCode = result.status === 'KILLED' ? 130 : exitCodeOf(result.error);
    });
}

import { Option, type Command } from 'commander';
import { launchOnSlurm, type SlurmLaunchOptions } from './run-on-slurm';
import { exitCodeOf, SpecError } from '../../errors';
import { runExperiment } from '../../engine/run';
import { formatSweepSummary, runSweep, sweepExitCode } from '../../engine/run-sweep';
import { resolveExperiments } from '../../spec/resolve';
import type { CliContext } from '../context';
import { collect, integerOption } from '../options';

const memberIndex = integerOption(0, 'a member index (0, 1, ...)');
const positive = integerOption(1, 'a positive integer');

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('validate a spec, build its plugins and train, evaluate and track it; a spec with a sweep block runs each member in turn')
    .argument('<spec>', 'spec file')
    .option('--set <path=value>', 'override a value (repeatable), e.g. --set train.steps=100', collect, [])
    .option('--run-dir <dir>', 'run directory (default: <outDir>/<name>-<timestamp>); for a sweep, the parent of one directory per member')
    .option('--member <index>', 'run only this member of a sweep (0-based, as named <name>-<index>)', memberIndex)
    .addOption(new Option('--launcher <name>', 'where to run: here (local; under mpirun or srun the ranks are detected), or a SLURM batch job').choices(['local', 'slurm']).default('local'))
    .option('--nodes <n>', 'slurm: nodes', positive, 1)
    .option('--tasks-per-node <k>', 'slurm: ranks per node', positive, 1)
    .option('--partition <p>', 'slurm: partition')
    .option('--time <t>', 'slurm: time limit, e.g. 02:00:00 (SIGTERM 2 minutes before: the run checkpoints)')
    .option('--dry-run', 'slurm: print the sbatch script instead of submitting it')
    .action(async (file: string, opts: { set: string[]; runDir?: string; member?: number; launcher: string } & SlurmLaunchOptions) => {
      const registry = ctx.registry();
      let experiments = resolveExperiments(file, registry, opts.set);
      if (opts.launcher === 'slurm') {
        if (opts.member !== undefined) throw SpecError.at('--member', 'a sweep on SLURM runs every member as a job array task; leave out --member', file);
        return launchOnSlurm(experiments, file, opts, ctx);
      }
      if (opts.member !== undefined) {
        if (!experiments[0].sweep) throw SpecError.at('--member', 'the spec has no sweep block', file);
        if (opts.member >= experiments.length) throw SpecError.at('--member', `the sweep has ${experiments.length} members (0-${experiments.length - 1}), got ${opts.member}`, file);
        experiments = [experiments[opts.member]];
      }
      if (!experiments[0].sweep) {
        const result = await runExperiment(experiments[0], registry, { runDir: opts.runDir, stdout: ctx.stdout });
        if (result.status !== 'FINISHED') ctx.exitCode = result.status === 'KILLED' ? 130 : exitCodeOf(result.error);
        return;
      }
      const { name, count } = experiments[0].sweep;
      ctx.stdout.write(`sweep ${name}: ${experiments.length === count ? `${count} runs` : `member ${experiments[0].sweep.index} of ${count}`}\n`);
      const outcomes = await runSweep(experiments, registry, {
        runDir: opts.runDir,
        stdout: ctx.stdout,
        onMemberError: (exp, err) => ctx.stderr.write(`error: ${exp.spec.name}: ${err.message}\n`),
      });
      ctx.stdout.write('\n' + formatSweepSummary(outcomes));
      ctx.exitCode = sweepExitCode(outcomes);
    });
}

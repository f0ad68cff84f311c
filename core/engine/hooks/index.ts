import * as path from 'node:path';
import type { Logger } from '../../logger';
import { evaluateAll } from '../evaluate';
import type { Experiment } from '../experiment';
import { Progress } from '../progress';
import { Checkpointing, type CheckpointWriter } from './checkpointing';
import { Evaluation } from './evaluation';
import type { TrainingHook } from './hook';
import { MetricsFile } from './metrics-file';
import { MomentumUpdate } from './momentum';
import { NanGuard } from './nan-guard';
import { ProgressHook } from './progress';
import { SignalStop } from './signals';
import { StepEndCallback } from './step-end-callback';
import { StopAfterSteps } from './stop-after-steps';
import { TrackerHook } from './tracker';
import { AgreeOnStop } from './agree-on-stop';
import { AwaitLeaderEvaluation } from './await-leader-evaluation';
import { isLeader, type World } from '../../distributed/world';

export type { RunEnd, StepReport, StepUpdate, TrainingHook } from './hook';
export { RunContext } from './hook';
export { HookList } from './hook-list';

export interface HookSettings {
  runDir: string;
  log: Logger;
  stdout: { write(s: string): unknown; isTTY?: boolean };
  checkpoints: CheckpointWriter;
  /** Tests: stop (as if interrupted) after this many steps of this session. */
  stopAfterSteps?: number;
  /** Tests: called after every step is fully applied. */
  onStepEnd?: (step: number) => void;
  /** A data-parallel run's ranks: only rank 0 prints, records, evaluates and checkpoints. */
  world?: World;
}

/**
 * The hooks of a training run, built from its spec, in the order the loop calls them in
 * every phase (TrainingHook says what the phases are). A new periodic task is a new entry
 * here. Were plugins to contribute hooks one day, each would need a declared place in this
 * order (e.g. "after evaluation, before checkpointing"), not an append at the end.
 */
export function trainingHooks(exp: Experiment, settings: HookSettings): TrainingHook[] {
  const { train } = exp.spec;
  // OpenMPI gives every rank a pseudo-terminal whatever mpirun's own output is (a log file, a
  // pipe), so a rank's isTTY says nothing about where its lines end up: plain lines there.
  const distributed = !!settings.world && settings.world.size > 1;
  const progress = new Progress(distributed ? { write: (s: string) => settings.stdout.write(s), isTTY: false } : settings.stdout, train.logEvery);
  const leader = !settings.world || isLeader(settings.world);
  const hooks: Array<TrainingHook | false | undefined> = [
    // First, and in checkStep: a non-finite loss fails the run before the step is counted,
    // recorded or checkpointed, so the last good checkpoint stays `last`.
    new NanGuard(),
    // Completes the step's update (EMA targets, the objectives' afterStep) before anything
    // evaluates or saves the weights, and adds `<label>/momentum` before the figures are recorded.
    new MomentumUpdate(exp.slots, exp.model.image),
    // Tests count tensors here: the step is fully applied and nothing else has run yet.
    settings.onStepEnd && new StepEndCallback(settings.onStepEnd),
    // Before the other outputs; at the end it stops the bar before the final evaluation prints.
    leader && new ProgressHook(progress),
    leader && new MetricsFile(path.join(settings.runDir, 'metrics.jsonl')),
    leader && exp.tracker && new TrackerHook(exp.tracker, train.logEvery),
    // Before checkpointing: it decides whether this step (or the final one) is the best and
    // asks for that checkpoint; at the end it runs the final evaluation before the final checkpoint.
    leader &&
      new Evaluation({
      evaluate: (step) => evaluateAll(exp, step, settings.log),
      tracker: exp.tracker,
      note: (line) => progress.note(line),
      evalEvery: train.evalEvery,
      bestMetric: train.bestMetric,
    }),
    // The other ranks wait here, without the collective timeout, while rank 0 evaluates.
    settings.world && settings.world.size > 1 && new AwaitLeaderEvaluation(settings.world, train.evalEvery),
    // Writes what the hooks above asked for, the cadence's checkpoints, the checkpoint of an
    // early stop (in afterRun KILLED) and the final one (in afterRun FINISHED).
    leader && new Checkpointing(settings.checkpoints, train.checkpointEvery, settings.log),
    // Stop requests: the loop reads them after every hook's afterStep, so these can come last;
    // signals last of all, so their handlers stay installed through the final evaluation and checkpoint.
    settings.stopAfterSteps !== undefined && new StopAfterSteps(settings.stopAfterSteps),
    new SignalStop(settings.log),
    // After every stop request of this rank: all ranks stop at the same step (or none does).
    settings.world && settings.world.size > 1 && new AgreeOnStop(settings.world),
  ];
  return hooks.filter((h): h is TrainingHook => !!h);
}

import { strict as assert } from 'node:assert';
import type { Experiment } from '../../../../core/engine/experiment';
import { trainingHooks, type HookSettings } from '../../../../core/engine/hooks';
import { captureStream, quietLog } from '../../../helpers/runs';

/** Just what trainingHooks reads of an experiment. */
function experiment(withTracker: boolean): Experiment {
  return {
    spec: { train: { logEvery: 2, evalEvery: 0, checkpointEvery: 0 } },
    slots: [],
    model: { image: { variables: () => [] } },
    tracker: withTracker ? { logMetrics: () => undefined } : undefined,
  } as unknown as Experiment;
}

const settings: HookSettings = { runDir: '.', log: quietLog, stdout: captureStream(), checkpoints: { save: () => '' } };

describe('hooks: the engine\'s list', () => {
  it('runs the NaN guard first, EMA before any output, evaluation before checkpointing, signals last', () => {
    const names = trainingHooks(experiment(true), { ...settings, stopAfterSteps: 3, onStepEnd: () => undefined }).map((h) => h.constructor.name);
    assert.deepEqual(names, ['NanGuard', 'MomentumUpdate', 'StepEndCallback', 'ProgressHook', 'MetricsFile', 'TrackerHook', 'Evaluation', 'Checkpointing', 'StopAfterSteps', 'SignalStop']);
  });

  it('leaves out the tracker without one, and the test hooks unless asked', () => {
    const names = trainingHooks(experiment(false), settings).map((h) => h.constructor.name);
    assert.deepEqual(names, ['NanGuard', 'MomentumUpdate', 'ProgressHook', 'MetricsFile', 'Evaluation', 'Checkpointing', 'SignalStop']);
  });
});

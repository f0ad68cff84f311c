import { CheckpointStore } from '../../core/checkpoint/store';
import { exportWeights } from '../../core/checkpoint/weights';
import { disposeTrainable } from '../../core/contracts/trainable';
import { buildExperiment, emaParams, trainableParams } from '../../core/engine/experiment';
import { resolveExperiment } from '../../core/spec/resolve';
import { builtinRegistry, quietLog } from './runs';

/**
 * A run directory holding one checkpoint of a spec's freshly initialised (untrained) model,
 * as `slipkit run` would save it at step 0: for tests of what consumes checkpoints (export,
 * eval) without spending time on training.
 */
export async function saveUntrainedCheckpoint(specFile: string, runDir: string, overrides: string[] = []): Promise<string> {
  const exp = await buildExperiment(resolveExperiment(specFile, builtinRegistry(), overrides), builtinRegistry(), quietLog, { withTracker: false });
  try {
    const weights = await exportWeights([...trainableParams(exp), ...emaParams(exp)]);
    const state = { step: 0, rng: {}, data: { epoch: 0, offset: 0 }, lossCurve: [] };
    return new CheckpointStore(runDir).save({ weights, optimizer: new Map(), state, spec: exp.spec }, ['last']);
  } finally {
    disposeTrainable(exp.model);
    for (const s of exp.slots) disposeTrainable(s.objective);
  }
}

import type { Logger } from '../logger';
import { TrainedEvalModel } from './eval-model';
import type { Experiment } from './experiment';

/** Runs every evaluator of the spec; metrics are prefixed with the evaluator's label ("zero-shot/top1"). */
export async function evaluateAll(exp: Experiment, step: number, log: Logger): Promise<Record<string, number>> {
  const model = new TrainedEvalModel(exp.model, exp.evalView);
  const out: Record<string, number> = {};
  for (const { label, evaluator } of exp.evaluators) {
    const started = performance.now();
    const metrics = await evaluator.evaluate(model, { step, seed: exp.spec.seed, log: log.child(label), maxFailureFraction: exp.spec.data.maxFailureFraction });
    for (const [k, v] of Object.entries(metrics)) out[`${label}/${k}`] = v;
    log.debug(`${label} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return out;
}

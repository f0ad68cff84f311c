import type { Logger } from '../logger';
import type { ModelInitSpec } from '../spec/model-init-schema';
import type { DualEncoderModel } from './model';
import { applyModelInit } from './model-init';
import type { ObjectiveSlot } from './step-inputs';

/**
 * Applies `model.init` to a freshly built experiment: the model's parameters, and the CLIP
 * objective's logit scale under the checkpoint name `logit_scale`; then the momentum
 * encoders (built as copies of the initial image encoder) copy the imported weights.
 */
export function initialiseModel(init: ModelInitSpec, model: DualEncoderModel, slots: readonly ObjectiveSlot[], baseDir: string, log: Logger) {
  const logitScales = slots.flatMap((s) => s.objective.variables().filter((v) => v.name === 'logit_scale'));
  const params = [...model.variables(), ...(logitScales.length === 1 ? logitScales : [])];
  const report = applyModelInit(init, params, baseDir, log);
  for (const s of slots) {
    if (!s.ema) continue;
    const online = model.image.variables();
    s.ema.variables().forEach((v, i) => v.variable.assign(online[i].variable));
  }
  return report;
}

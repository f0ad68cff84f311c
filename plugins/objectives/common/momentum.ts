import type { MomentumPair } from '../../../core/contracts/objective';
import type { Mlp } from '../../../core/nn/mlp';

/** The EMA pairs of an online head and its frozen copy, variable by variable (same order). */
export function momentumPairs(online: Mlp, target: Mlp): MomentumPair[] {
  const targets = target.variables();
  return online.variables().map((v, i) => ({ online: v.variable, target: targets[i].variable }));
}

import * as tf from '@tensorflow/tfjs';
import type { MomentumPair } from '../contracts/objective';
import type { ObjectiveSlot } from './step-inputs';
import { momentumAt } from './schedule';

/** Every (online, target) pair an objective keeps in step: its EMA encoder plus its own target heads. */
export function momentumPairsOf(slot: ObjectiveSlot, onlineEncoder: { variables(): { variable: tf.Variable }[] }): MomentumPair[] {
  const pairs: MomentumPair[] = [];
  if (slot.ema) {
    const online = onlineEncoder.variables();
    slot.ema.variables().forEach((t, i) => pairs.push({ online: online[i].variable, target: t.variable }));
  }
  pairs.push(...(slot.objective.momentumPairs?.() ?? []));
  return pairs;
}

/** target ← m·target + (1 − m)·online, with m from the objective's cosine momentum schedule. */
export function updateMomentum(slot: ObjectiveSlot, pairs: readonly MomentumPair[], step: number, totalSteps: number): number {
  const schedule = slot.objective.momentum;
  if (!schedule || !pairs.length) return 1;
  const m = momentumAt(step, totalSteps, schedule.start, schedule.end);
  tf.tidy(() => {
    for (const { online, target } of pairs) target.assign(tf.add(tf.mul(target, m), tf.mul(online, 1 - m)));
  });
  return m;
}

import type * as tf from '@tensorflow/tfjs';
import type { MomentumPair } from '../../contracts/objective';
import { momentumPairsOf, updateMomentum } from '../ema';
import type { ObjectiveSlot } from '../step-inputs';
import type { RunContext, StepUpdate, TrainingHook } from './hook';

/**
 * Completes each step's update after the optimizer: moves every EMA target (momentum
 * encoder, target heads) toward its online weights on the objective's momentum schedule,
 * reports the momentum as `<label>/momentum`, and runs the objective's own `afterStep`
 * (CLIP clamps its logit scale there).
 */
export class MomentumUpdate implements TrainingHook {
  private readonly pairs: MomentumPair[][];

  constructor(
    private readonly slots: readonly ObjectiveSlot[],
    onlineEncoder: { variables(): { variable: tf.Variable }[] },
  ) {
    this.pairs = slots.map((s) => momentumPairsOf(s, onlineEncoder));
  }

  afterUpdate(ctx: RunContext, update: StepUpdate): void {
    // The schedule is indexed by the step just taken.
    this.slots.forEach((slot, i) => {
      const m = updateMomentum(slot, this.pairs[i], update.index, ctx.totalSteps);
      if (slot.objective.momentum) update.metrics[`${slot.label}/momentum`] = m;
      slot.objective.afterStep?.();
    });
  }
}

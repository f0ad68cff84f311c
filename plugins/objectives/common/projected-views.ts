import type * as tf from '@tensorflow/tfjs';
import type { Mlp, NamedVariable, Objective, ObjectiveInputs, ObjectiveOutput } from '../../../core/toolkit';
import { tidyOutput } from './output';

/**
 * What Barlow Twins and VICReg share: two views' features through one trainable
 * projector, z_i = projector(f_i), and a loss of (z_1, z_2) that subclasses define.
 */
export abstract class ProjectedViewsObjective implements Objective {
  readonly views: readonly string[];
  readonly usesText = false;

  /** `views` and the projector's options are checked by the subclass. */
  protected constructor(
    views: readonly string[],
    readonly projector: Mlp,
  ) {
    this.views = [...views];
  }

  variables(): NamedVariable[] {
    return this.projector.variables();
  }

  compute(inputs: ObjectiveInputs): ObjectiveOutput {
    const [f1, f2] = [inputs.features(0), inputs.features(1)];
    return tidyOutput(() => this.loss(this.projector.apply(f1), this.projector.apply(f2)));
  }

  /** The loss and metrics of the two projections; runs inside compute's tidy. */
  protected abstract loss(z1: tf.Tensor2D, z2: tf.Tensor2D): ObjectiveOutput;
}

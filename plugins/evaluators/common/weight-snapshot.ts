import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../../../core/toolkit';

/**
 * Copies of some variables' values, to put them back after an evaluator has trained
 * them (finetune), so evaluating never changes the model being trained.
 */
export class WeightSnapshot {
  private readonly saved: tf.Tensor[];

  constructor(private readonly params: readonly NamedVariable[]) {
    this.saved = params.map((p) => tf.clone(p.variable));
  }

  /** Assigns the saved values back and frees the copies. */
  restoreAndDispose(): void {
    this.params.forEach((p, i) => p.variable.assign(this.saved[i]));
    tf.dispose(this.saved);
    this.saved.length = 0;
  }
}

import * as tf from '@tensorflow/tfjs';
import { l2Normalize, type NamedVariable, normalVariable, type Rng, stopGradient } from '../../../core/toolkit';

/**
 * A support set of past embeddings [size, dim] written in a ring, as lightly's MemoryBankModule:
 * a batch goes to rows [pointer, pointer + B); when it reaches the end, only the rows that fit
 * are written and the pointer returns to 0. It starts as random unit vectors (lightly's
 * initialisation). Rows and pointer are state variables, so a checkpoint restores both; the
 * pointer is read back once, then tracked here without a device read per step.
 */
export class RingQueue {
  readonly rows: tf.Variable;
  readonly pointerVariable: tf.Variable;
  private pointer?: number;

  constructor(
    readonly size: number,
    dim: number,
    rng: Rng,
  ) {
    this.rows = tf.tidy(() => {
      const raw = normalVariable([size, dim], 1, rng);
      const unit = tf.variable(l2Normalize(raw as tf.Tensor2D), false);
      raw.dispose();
      return unit;
    });
    this.pointerVariable = tf.variable(tf.scalar(0), false);
  }

  /** Writes `batch` (without gradient) at the pointer. */
  enqueue(batch: tf.Tensor2D): void {
    const at = (this.pointer ??= this.pointerVariable.dataSync()[0]);
    const n = Math.min(batch.shape[0], this.size - at);
    tf.tidy(() => {
      const parts = [tf.slice(this.rows, [0, 0], [at, -1]), tf.slice(stopGradient(batch), [0, 0], [n, -1]), tf.slice(this.rows, [at + n, 0], [-1, -1])];
      this.rows.assign(tf.concat(parts.filter((p) => p.shape[0] > 0), 0));
    });
    this.pointer = at + batch.shape[0] >= this.size ? 0 : at + n;
    tf.tidy(() => this.pointerVariable.assign(tf.scalar(this.pointer!)));
  }

  state(prefix: string): NamedVariable[] {
    return [
      { name: prefix, variable: this.rows, decay: false },
      { name: `${prefix}_pointer`, variable: this.pointerVariable, decay: false },
    ];
  }
}

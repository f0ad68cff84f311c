import * as tf from '@tensorflow/tfjs';
import { l2Normalize, type NamedVariable, normalVariable, type Rng, stopGradient } from '../../../core/toolkit';

/**
 * A support set of past embeddings [size, dim] written in a ring, as lightly's MemoryBankModule:
 * a batch goes to rows [pointer, pointer + B); when it reaches the end, only the rows that fit
 * are written and the pointer returns to 0. It starts as random unit vectors (lightly's
 * initialisation). Rows and pointer are state variables, so a checkpoint restores both. The
 * write happens on the device at the pointer the device holds (a gather and a select over the
 * rows), so nothing is ever read back to the host: no synchronous read on a GPU backend.
 */
export class RingQueue {
  readonly rows: tf.Variable;
  readonly pointerVariable: tf.Variable;

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
    const rowsIn = batch.shape[0];
    tf.tidy(() => {
      const at = tf.cast(this.pointerVariable, 'int32');
      // Row r takes batch row r - at when 0 <= r - at < rowsIn (rows past the end are not written).
      const offset = tf.sub(tf.range(0, this.size, 1, 'int32'), at);
      const written = tf.logicalAnd(tf.greaterEqual(offset, 0), tf.less(offset, rowsIn));
      const incoming = tf.gather(stopGradient(batch), tf.clipByValue(offset, 0, rowsIn - 1));
      this.rows.assign(tf.where(tf.broadcastTo(tf.reshape(written, [this.size, 1]), this.rows.shape), incoming, this.rows as tf.Tensor2D));
      // A batch that reaches the end returns the pointer to 0.
      const next = tf.add(this.pointerVariable, rowsIn);
      this.pointerVariable.assign(tf.where(tf.greaterEqual(next, this.size), tf.zerosLike(next), next));
    });
  }

  state(prefix: string): NamedVariable[] {
    return [
      { name: prefix, variable: this.rows, decay: false },
      { name: `${prefix}_pointer`, variable: this.pointerVariable, decay: false },
    ];
  }
}

import * as tf from '@tensorflow/tfjs';

/** A step's figures on the host. */
export interface Figures {
  /** Weighted total loss. */
  total: number;
  /** Each objective's own (unweighted) loss, by slot index. */
  losses: number[];
  /** `<label>/<metric>` figures reported by the objectives, then step-level ones (`grad_norm`). */
  metrics: Record<string, number>;
}

/**
 * A step's figures while they are still on the device: one vector per micro-batch,
 * [total, ...losses, ...metrics], and step-level scalars (the gradient norm). Nothing is read
 * until `readFigures`, which reads any number of steps with one device read: on a GPU every
 * read waits for the queue to drain, so the training loop reads only when a hook needs the
 * figures. The micro-batch means are taken on the host in double precision, as the loop did
 * when it read every micro-batch.
 */
export class DeviceFigures {
  private readonly micro: tf.Tensor1D[] = [];
  private readonly stepScalars = new Map<string, tf.Scalar>();
  private lossCount = -1;
  private metricNames: string[] = [];

  /** Adds a micro-batch's kept scalars (consumed: stacked into one vector and disposed). */
  addMicroBatch(total: tf.Scalar, losses: tf.Scalar[], metrics: ReadonlyMap<string, tf.Scalar>): void {
    this.layout(losses.length, [...metrics.keys()]);
    const all = [total, ...losses, ...metrics.values()];
    this.micro.push(tf.tidy(() => tf.stack(all.map((s) => tf.reshape(tf.cast(s, 'float32'), []))) as tf.Tensor1D));
    tf.dispose(all);
  }

  /** Takes over the micro-batches of another (a micro-batch's own figures), leaving it empty. */
  absorb(other: DeviceFigures): void {
    if (other.stepScalars.size) throw new Error('a micro-batch has no step-level figures');
    this.layout(other.lossCount, other.metricNames);
    this.micro.push(...other.micro);
    other.micro.length = 0;
  }

  /** Takes the first micro-batch's layout; every later one must have the same objectives and metrics. */
  private layout(lossCount: number, metricNames: string[]): void {
    if (this.lossCount < 0) {
      this.lossCount = lossCount;
      this.metricNames = metricNames;
    } else if (lossCount !== this.lossCount || metricNames.join('\n') !== this.metricNames.join('\n')) {
      throw new Error(`a micro-batch reported ${lossCount} losses and metrics [${metricNames}], the first ${this.lossCount} and [${this.metricNames}]`);
    }
  }

  /** Adds a step-level figure (kept until read; consumed). */
  addStepScalar(name: string, value: tf.Scalar): void {
    this.stepScalars.get(name)?.dispose();
    this.stepScalars.set(name, value);
  }

  /** The vector this step contributes to a combined read. */
  flat(): tf.Tensor1D {
    return tf.tidy(() => tf.concat([...this.micro, ...[...this.stepScalars.values()].map((s) => tf.reshape(tf.cast(s, 'float32'), [1]))]) as tf.Tensor1D);
  }

  get length(): number {
    return this.micro.length * (1 + this.lossCount + this.metricNames.length) + this.stepScalars.size;
  }

  /** The host figures from this step's slice of a combined read. */
  decode(values: Float32Array): Figures {
    const width = 1 + this.lossCount + this.metricNames.length;
    const n = this.micro.length;
    const mean = (i: number): number => {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += values[k * width + i];
      return n === 1 ? sum : sum / n;
    };
    const metrics: Record<string, number> = Object.fromEntries(this.metricNames.map((name, i) => [name, mean(1 + this.lossCount + i)]));
    [...this.stepScalars.keys()].forEach((name, i) => (metrics[name] = values[n * width + i]));
    return { total: mean(0), losses: Array.from({ length: this.lossCount }, (_, i) => mean(1 + i)), metrics };
  }

  dispose(): void {
    tf.dispose([...this.micro, ...this.stepScalars.values()]);
    this.micro.length = 0;
    this.stepScalars.clear();
  }
}

/** Reads the figures of several steps with one asynchronous device read, and frees them. */
export async function readFigures(steps: readonly DeviceFigures[]): Promise<Figures[]> {
  if (steps.length === 0) return [];
  const combined = tf.tidy(() => {
    const parts = steps.map((s) => s.flat());
    return parts.length === 1 ? parts[0] : tf.concat(parts);
  });
  try {
    const values = (await combined.data()) as Float32Array;
    let at = 0;
    return steps.map((s) => {
      const figures = s.decode(values.subarray(at, at + s.length));
      at += s.length;
      return figures;
    });
  } finally {
    combined.dispose();
    steps.forEach((s) => s.dispose());
  }
}

/** A step's figures: on the device until read, or already on the host (a data-parallel step reads them to average them over the ranks). */
export type StepFigures = DeviceFigures | Figures;

/** Reads the device figures among `steps` with one device read, passing host figures through, in order. */
export async function readStepFigures(steps: readonly StepFigures[]): Promise<Figures[]> {
  const onDevice = steps.filter((s): s is DeviceFigures => s instanceof DeviceFigures);
  const read = await readFigures(onDevice);
  let next = 0;
  return steps.map((s) => (s instanceof DeviceFigures ? read[next++] : s));
}

/** Frees figures that will not be read (a failed step). */
export function disposeStepFigures(steps: readonly StepFigures[]): void {
  for (const s of steps) if (s instanceof DeviceFigures) s.dispose();
}

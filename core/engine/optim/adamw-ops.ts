import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../../contracts/trainable';
import type { AdamWMoments, AdamWSlots, AdamWStep } from './adamw-slots';

/**
 * AdamW state as tf variables and the update as tf ops: works on every backend; about
 * thirteen element-wise kernels per parameter, each a pass over it.
 */
export class OpsAdamWSlots implements AdamWSlots {
  readonly kind = 'tf-ops';
  private readonly slots = new Map<string, { m: tf.Variable; v: tf.Variable }>();

  private slotsFor(p: NamedVariable): { m: tf.Variable; v: tf.Variable } {
    let s = this.slots.get(p.name);
    if (!s) {
      s = tf.tidy(() => ({ m: tf.variable(tf.zerosLike(p.variable), false), v: tf.variable(tf.zerosLike(p.variable), false) }));
      this.slots.set(p.name, s);
    }
    return s;
  }

  update(p: NamedVariable, g: tf.Tensor, decayFactor: number, step: AdamWStep): void {
    const s = this.slotsFor(p);
    const bc1 = 1 - Math.pow(step.beta1, step.t);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(step.beta2, step.t));
    tf.tidy(() => {
      const m = tf.add(tf.mul(s.m, step.beta1), tf.mul(g, 1 - step.beta1));
      const v = tf.add(tf.mul(s.v, step.beta2), tf.mul(tf.square(g), 1 - step.beta2));
      const decayed = decayFactor !== 1 ? tf.mul(p.variable, decayFactor) : p.variable;
      const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), step.eps);
      const updated = tf.sub(decayed, tf.mul(tf.div(m, denom), step.lr / bc1));
      s.m.assign(m);
      s.v.assign(v);
      p.variable.assign(updated);
    });
  }

  endStep(): void {}

  read(name: string): AdamWMoments | undefined {
    const s = this.slots.get(name);
    return s && { m: s.m.clone(), v: s.v.clone() };
  }

  write(p: NamedVariable, which: keyof AdamWMoments, value: tf.Tensor): void {
    this.slotsFor(p)[which].assign(value);
  }

  names(): string[] {
    return [...this.slots.keys()];
  }

  dispose(): void {
    for (const s of this.slots.values()) tf.dispose([s.m, s.v]);
    this.slots.clear();
  }
}

import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../../contracts/trainable';
import { adamwUpdate } from '../fused';
import type { AdamWMoments, AdamWSlots, AdamWStep } from './slots';

/**
 * AdamW state as tf variables and the update as one kernel per parameter, SlipkitAdamW
 * (core/backend/fused/adamw.ts): one pass where the backend has its own kernel (C++ on
 * tensorflow, WGSL on webgpu), about thirteen element-wise kernels (its reference) elsewhere.
 * The kernel may update the moments in place, so the moments' buffers are never shared: read()
 * hands out copies and write() takes one.
 */
export class OpsAdamWSlots implements AdamWSlots {
  readonly kind = 'slipkit';
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
      const out = adamwUpdate(p.variable, g, s.m, s.v, { lr: step.lr, beta1: step.beta1, beta2: step.beta2, eps: step.eps, decay: decayFactor, bc1, bc2Sqrt });
      s.m.assign(out.m);
      s.v.assign(out.v);
      p.variable.assign(out.param);
    });
  }

  endStep(): void {}

  read(name: string): AdamWMoments | undefined {
    const s = this.slots.get(name);
    return s && { m: copyOf(s.m), v: copyOf(s.v) };
  }

  write(p: NamedVariable, which: keyof AdamWMoments, value: tf.Tensor): void {
    this.slotsFor(p)[which].assign(copyOf(value));
  }

  names(): string[] {
    return [...this.slots.keys()];
  }

  dispose(): void {
    for (const s of this.slots.values()) tf.dispose([s.m, s.v]);
    this.slots.clear();
  }
}

/** A tensor with its own buffer (tf.clone would share the original's). */
function copyOf(t: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(t, 1));
}

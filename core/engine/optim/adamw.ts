import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../../contracts/trainable';

export interface AdamWOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

/** Optimiser state for one parameter, by parameter name (what checkpoints store). */
export interface AdamWSlots {
  m: tf.Variable;
  v: tf.Variable;
}

/**
 * AdamW with decoupled weight decay, step for step the same arithmetic as
 * torch.optim.AdamW: p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε). Parameters whose NamedVariable has
 * `decay: false` (biases, norms, embeddings, logit scale) get no weight decay.
 */
export class AdamW {
  private readonly slots = new Map<string, AdamWSlots>();
  /** Number of optimiser steps taken (t in the bias corrections). */
  step = 0;

  constructor(
    private readonly params: readonly NamedVariable[],
    private readonly options: AdamWOptions,
  ) {
    const names = new Set<string>();
    for (const p of params) {
      if (names.has(p.name)) throw new Error(`duplicate parameter name "${p.name}"`);
      names.add(p.name);
    }
  }

  private slotsFor(p: NamedVariable): AdamWSlots {
    let s = this.slots.get(p.name);
    if (!s) {
      s = tf.tidy(() => ({
        m: tf.variable(tf.zerosLike(p.variable), false),
        v: tf.variable(tf.zerosLike(p.variable), false),
      }));
      this.slots.set(p.name, s);
    }
    return s;
  }

  /** Applies one update with learning rate `lr`; `grads` maps parameter name to gradient. */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const [b1, b2] = this.options.betas;
    const bc1 = 1 - Math.pow(b1, this.step);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, this.step));
    const stepSize = lr / bc1;
    for (const p of this.params) {
      const g = grads.get(p.name);
      if (!g) continue;
      const s = this.slotsFor(p);
      tf.tidy(() => {
        const m = tf.add(tf.mul(s.m, b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(s.v, b2), tf.mul(tf.square(g), 1 - b2));
        const wd = p.decay ? this.options.weightDecay : 0;
        const decayed = wd > 0 ? tf.mul(p.variable, 1 - lr * wd) : p.variable;
        const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), this.options.eps);
        const updated = tf.sub(decayed, tf.mul(tf.div(m, denom), stepSize));
        s.m.assign(m);
        s.v.assign(v);
        p.variable.assign(updated);
      });
    }
  }

  /** State tensors by name (`<param>.exp_avg`, `<param>.exp_avg_sq`) for checkpoints. */
  stateTensors(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, s] of this.slots) {
      out.set(`${name}.exp_avg`, s.m);
      out.set(`${name}.exp_avg_sq`, s.v);
    }
    return out;
  }

  /** Restores slots saved by stateTensors(); unknown names are an error, missing ones start at zero. */
  loadState(step: number, tensors: ReadonlyMap<string, tf.Tensor>): void {
    this.step = step;
    const byName = new Map(this.params.map((p) => [p.name, p]));
    for (const [key, value] of tensors) {
      const match = /^(.*)\.(exp_avg|exp_avg_sq)$/.exec(key);
      const p = match && byName.get(match[1]);
      if (!match || !p) throw new Error(`optimizer state "${key}" matches no parameter`);
      const s = this.slotsFor(p);
      (match[2] === 'exp_avg' ? s.m : s.v).assign(value);
    }
  }

  dispose(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.clear();
  }
}

import type * as tf from '@tensorflow/tfjs';
import { createAdamWSlots, type AdamWImplementation, type AdamWSlots, type AdamWStep } from '../../backend/adamw';
import type { NamedVariable } from '../../contracts/trainable';

export interface AdamWOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** How updates run (core/backend/adamw chooses for the active backend): `auto` by default; the others force one (for tests and benches). */
  implementation?: AdamWImplementation;
}

/**
 * AdamW with decoupled weight decay, step for step the same arithmetic as
 * torch.optim.AdamW: p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε). Parameters whose NamedVariable has
 * `decay: false` (biases, norms, embeddings, logit scale) get no weight decay.
 */
export class AdamW {
  private readonly slots: AdamWSlots;
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
    this.slots = createAdamWSlots(options.implementation);
  }

  /** Which implementation runs the updates (AdamWSlots.kind). */
  get implementation(): string {
    return this.slots.kind;
  }

  /** Applies one update with learning rate `lr`; `grads` maps parameter name to gradient. */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const [beta1, beta2] = this.options.betas;
    const step: AdamWStep = { t: this.step, lr, beta1, beta2, eps: this.options.eps };
    try {
      for (const p of this.params) {
        const g = grads.get(p.name);
        if (!g) continue;
        const decayFactor = p.decay && this.options.weightDecay > 0 ? 1 - lr * this.options.weightDecay : 1;
        this.slots.update(p, g, decayFactor, step);
      }
    } finally {
      this.slots.endStep();
    }
  }

  /**
   * State tensors by name (`<param>.exp_avg`, `<param>.exp_avg_sq`) for checkpoints:
   * copies that the caller disposes.
   */
  stateTensors(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const name of this.slots.names()) {
      const moments = this.slots.read(name)!;
      out.set(`${name}.exp_avg`, moments.m);
      out.set(`${name}.exp_avg_sq`, moments.v);
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
      this.slots.write(p, match[2] === 'exp_avg' ? 'm' : 'v', value);
    }
  }

  dispose(): void {
    this.slots.dispose();
  }
}

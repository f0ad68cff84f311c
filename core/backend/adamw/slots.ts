import type * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../../contracts/trainable';

/** The scalars of one AdamW step, shared by every parameter. */
export interface AdamWStep {
  /** t, counted from 1. */
  t: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** First and second moment of one parameter. */
export interface AdamWMoments {
  m: tf.Tensor;
  v: tf.Tensor;
}

/**
 * Where an AdamW keeps its per-parameter state and how it applies one update. Two
 * implementations: the SlipkitAdamW kernel over tf variables on any backend (ops-slots.ts), and TensorFlow's fused
 * ResourceApplyAdam kernel on the native backend (tensorflow-slots.ts).
 */
export interface AdamWSlots {
  /** `slipkit` or `tensorflow-fused`. */
  readonly kind: string;
  /**
   * p ← p·decayFactor (decoupled weight decay, 1 for none), then the Adam update with the
   * bias corrections of step t, exactly as torch.optim.AdamW orders them.
   */
  update(param: NamedVariable, grad: tf.Tensor, decayFactor: number, step: AdamWStep): void;
  /** Runs once per step after every update (frees the step's shared scalars). */
  endStep(): void;
  /** Copies of a parameter's moments (the caller disposes them), or undefined before its first update. */
  read(name: string): AdamWMoments | undefined;
  /** Sets one moment of a parameter (restoring a checkpoint). */
  write(param: NamedVariable, which: keyof AdamWMoments, value: tf.Tensor): void;
  /** Names of the parameters that have state. */
  names(): string[];
  dispose(): void;
}

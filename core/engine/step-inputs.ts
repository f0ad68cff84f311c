import type * as tf from '@tensorflow/tfjs';
import type { ImageEncoder } from '../contracts/encoders';
import type { Objective, ObjectiveInputs, ViewTokens } from '../contracts/objective';

/** One objective as the engine runs it. */
export interface ObjectiveSlot {
  objective: Objective;
  weight: number;
  /** Metric prefix: the objective's type, suffixed with its index when a type repeats. */
  label: string;
  /** View instance key for each of the objective's views: ["ssl","ssl"] → ["ssl#0","ssl#1"]. */
  instances: string[];
  /** The objective's EMA copy of the image encoder, when it declares `momentum`. */
  ema?: ImageEncoder;
}

/** Instance keys for a list of view names: the k-th use of a name within one objective is `name#k`. */
export function viewInstances(views: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return views.map((v) => {
    const k = seen.get(v) ?? 0;
    seen.set(v, k + 1);
    return `${v}#${k}`;
  });
}

/** A memo of tensors computed at most once per step, keyed by name. */
export class Memo<T> {
  private readonly values = new Map<string, T>();
  get(key: string, compute: () => T): T {
    let v = this.values.get(key);
    if (v === undefined) {
      v = compute();
      this.values.set(key, v);
    }
    return v;
  }
}

export interface FeatureSources {
  features(instance: string): tf.Tensor2D;
  tokens(instance: string): ViewTokens;
  images(instance: string): tf.Tensor4D;
  momentumFeatures(slotIndex: number, instance: string): tf.Tensor2D;
  imageEmbedding(instance: string): tf.Tensor2D;
  textEmbedding(): tf.Tensor2D;
}

/** The ObjectiveInputs one objective sees: its view indices mapped to shared, memoised sources. */
export function objectiveInputs(slot: ObjectiveSlot, slotIndex: number, src: FeatureSources, step: number, totalSteps: number): ObjectiveInputs {
  const instance = (i: number): string => {
    const key = slot.instances[i];
    if (key === undefined) throw new Error(`${slot.label} asked for view ${i} but declares ${slot.instances.length} view(s)`);
    return key;
  };
  return {
    features: (i) => src.features(instance(i)),
    momentumFeatures: (i) => src.momentumFeatures(slotIndex, instance(i)),
    imageEmbedding: (i) => src.imageEmbedding(instance(i)),
    textEmbedding: () => src.textEmbedding(),
    tokens: (i) => src.tokens(instance(i)),
    images: (i) => src.images(instance(i)),
    step,
    totalSteps,
  };
}

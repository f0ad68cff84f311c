import type { Augmentation } from '../contracts/augmentation';
import type { Dataset } from '../contracts/dataset';
import type { ImageEncoder, TextEncoder, Tokenizer } from '../contracts/encoders';
import type { Evaluator } from '../contracts/evaluator';
import type { Objective } from '../contracts/objective';
import type { Tracker } from '../contracts/tracker';
import type { JsonSchema } from '../spec/json-schema';

/**
 * The extension points and the instance type each produces. New kinds can be added by
 * declaration merging on this interface plus an entry in KIND_INFO.
 */
export interface PluginKinds {
  imageEncoder: ImageEncoder;
  textEncoder: TextEncoder;
  tokenizer: Tokenizer;
  augmentation: Augmentation;
  objective: Objective;
  dataset: Dataset;
  evaluator: Evaluator;
  tracker: Tracker;
}

export type PluginKind = keyof PluginKinds;

export interface KindInfo {
  /** Word used in messages: `unknown objective "simclrr"`. */
  label: string;
  description: string;
  /**
   * Options every block of this kind accepts besides the plugin's own, consumed by the
   * engine rather than the plugin (e.g. an objective's `weight`).
   */
  commonProperties: Record<string, JsonSchema>;
}

export const KIND_INFO: Record<PluginKind, KindInfo> = {
  imageEncoder: { label: 'image encoder', description: 'image batch [B,H,W,C] to features [B,D]', commonProperties: {} },
  textEncoder: { label: 'text encoder', description: 'token ids [B,T] to features [B,D]', commonProperties: {} },
  tokenizer: { label: 'tokenizer', description: 'strings to ids with start/end tokens and padding', commonProperties: {} },
  augmentation: { label: 'augmentation', description: 'batched, seeded view transform on image tensors', commonProperties: {} },
  objective: {
    label: 'objective',
    description: 'named loss on model outputs; the total loss is the weighted sum of objectives',
    commonProperties: {
      weight: { type: 'number', minimum: 0, default: 1, description: 'Weight of this loss in the total.' },
    },
  },
  dataset: { label: 'dataset', description: 'iterable of {image, captions?, label?} records', commonProperties: {} },
  evaluator: { label: 'evaluator', description: 'trained model + dataset to metrics', commonProperties: {} },
  tracker: { label: 'tracker', description: 'params, metrics, tags and artifacts', commonProperties: {} },
};

export const PLUGIN_KINDS = Object.keys(KIND_INFO) as PluginKind[];

export function isPluginKind(value: string): value is PluginKind {
  return Object.prototype.hasOwnProperty.call(KIND_INFO, value);
}

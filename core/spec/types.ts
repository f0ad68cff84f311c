import type { PluginBlock } from '../plugins/define';
import type { BACKENDS } from './base-schema';
import type { ModelInitSpec } from './model-init-schema';

/** The spec after loading, merging, overrides, validation and defaults. */
export interface ResolvedSpec {
  $schema?: string;
  name: string;
  description?: string;
  /** Absolute directory that relative paths in the spec resolve against. */
  baseDir: string;
  /** External plugins: absolute file paths or npm package names. */
  plugins?: string[];
  seed: number;
  backend: (typeof BACKENDS)[number];
  outDir: string;
  data: {
    train: PluginBlock;
    tokenizer?: PluginBlock;
    imageSize: number;
    loadSize?: number;
    workers: number;
    prefetchBatches: number;
    maxFailureFraction: number;
  };
  model: { image: PluginBlock; text?: PluginBlock; embedDim: number; init?: ModelInitSpec };
  views: Record<string, PluginBlock[]>;
  objectives: Array<PluginBlock & { weight: number }>;
  optimizer: {
    type: 'adamw';
    lr: number;
    weightDecay: number;
    betas: [number, number];
    eps: number;
    clipGradNorm?: number;
  };
  schedule: { type: 'cosine' | 'constant'; warmupSteps: number; startLr: number; endLr: number };
  train: {
    steps: number;
    batchSize: number;
    accumulate: number;
    gradCache?: { chunkSize: number };
    logEvery: number;
    checkpointEvery: number;
    evalEvery: number;
    bestMetric?: string;
  };
  eval: PluginBlock[];
  tracking?: PluginBlock;
}

/** A spec as loaded from disk, before validation. */
export type RawSpec = Record<string, unknown>;

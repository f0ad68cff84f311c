/**
 * slipkit's public API, for plugin authors and programmatic use:
 *   import { definePlugin, type Objective } from 'slipkit';
 */
export type { Augmentation } from './contracts/augmentation';
export type { Dataset, ImageSource, Sample, SampleOptions } from './contracts/dataset';
export type { ImageEncoder, ImageEncoderOutput, TextEncoder, TokenBatch, Tokenizer } from './contracts/encoders';
export type { EvalContext, EvalModel, Evaluator } from './contracts/evaluator';
export type { MomentumPair, MomentumSchedule, Objective, ObjectiveInputs, ObjectiveOutput } from './contracts/objective';
export type { NamedVariable, Trainable } from './contracts/trainable';
export type { RunInfo, RunStatus, Tracker } from './contracts/tracker';
export { IMAGE_ENCODER, TOKENIZER } from './di-tokens';
export { BackendError, DataError, PluginError, SlipkitError, SpecError, TrainingError, TrackingError } from './errors';
export { Logger, log } from './logger';
export { definePlugin, PLUGIN_CONTEXT, PLUGIN_OPTIONS } from './plugins/define';
export type { AnyPluginDefinition, PluginBlock, PluginContext, PluginDefinition, SharedSettings } from './plugins/define';
export { KIND_INFO, PLUGIN_KINDS } from './plugins/kinds';
export type { PluginKind, PluginKinds } from './plugins/kinds';
export { PluginRegistry } from './plugins/registry';
export { pluginSlot } from './spec/json-schema';
export type { JsonSchema } from './spec/json-schema';
export { resolveExperiment } from './spec/resolve';
export type { ResolvedSpec } from './spec/types';
export { Rng } from './random';
export { Linear } from './nn/linear';
export { gelu } from './nn/gelu';
export { runExperiment, resumeRun } from './engine/run';

/**
 * The plugin author's toolkit: the one module of core that a plugin imports, built-in or
 * external alike (test/core/plugin-door.test.ts guards it for plugins/):
 *
 *   import { definePlugin, Mlp, l2Normalize, type Objective } from 'slipkit/toolkit';
 *
 * It holds what a plugin builds on: the contracts it implements, definePlugin and the DI
 * tokens, the errors and logger, the seeded Rng, the nn building blocks, the helpers a
 * dataset or augmentation shares with the data pipeline, and the evaluation plumbing
 * (batches, feature collection, the evaluators' common options). What serves plugins
 * alone (losses, evaluator maths, dataset parsers) lives beside them under plugins/.
 *
 * `slipkit` (core/index.ts) is the programmatic API (run, resume, resolve a spec, the
 * registry); it re-exports this toolkit, so `import { definePlugin } from 'slipkit'` keeps
 * working, but a plugin should name 'slipkit/toolkit'.
 */

// What a plugin implements.
export type { Augmentation } from './contracts/augmentation';
export type { Dataset, ImageSource, Sample, SampleOptions } from './contracts/dataset';
export type { ImageEncoder, ImageEncoderForwardOptions, ImageEncoderOutput, PatchMask, TextEncoder, TokenBatch, Tokenizer } from './contracts/encoders';
export type { EvalContext, EvalModel, Evaluator } from './contracts/evaluator';
export type { MomentumPair, MomentumSchedule, Objective, ObjectiveInputs, ObjectiveOutput, ViewTokens } from './contracts/objective';
export type { NamedVariable, Trainable } from './contracts/trainable';
export type { RunInfo, RunStatus, Tracker } from './contracts/tracker';

// How a plugin is declared, configured and wired.
export { definePlugin, PLUGIN_CONTEXT, PLUGIN_OPTIONS } from './plugins/define';
export type { AnyPluginDefinition, PluginBlock, PluginContext, PluginDefinition, SharedSettings } from './plugins/define';
export type { PluginKind } from './plugins/kinds';
export { IMAGE_ENCODER, TOKENIZER } from './di-tokens';
export { pluginSlot } from './spec/json-schema';
export type { JsonSchema } from './spec/json-schema';
export { flattenSpec } from './spec/flatten';
export type { CliCommand, CliContext } from './cli/context';

// Errors, logging, randomness, files.
export { BackendError, DataError, PluginError, SlipkitError, SpecError, TrainingError, TrackingError } from './errors';
export { Logger, log } from './logger';
export { disposeTrainable } from './contracts/trainable';

// A trained (or imported) model with its spec, for commands that take a model elsewhere (export).
export { loadTrainedExperiment } from './engine/eval-checkpoint';
export type { TrainedExperiment } from './engine/eval-checkpoint';
export type { Experiment } from './engine/experiment';
export type { DualEncoderModel } from './engine/model';
export type { LogLevel, LogSink } from './logger';
export { Rng } from './random';
export { writeFileAtomic } from './checkpoint/atomic';

// nn building blocks.
export { Linear } from './nn/linear';
export { gelu } from './nn/gelu';
export { quickGelu } from './nn/plain-block';
export type { MlpActivation } from './nn/plain-block';
export { LayerNorm } from './nn/layer-norm';
export { Mlp } from './nn/mlp';
export type { MlpConfig } from './nn/mlp';
export { BATCH_NORM_EPS } from './nn/batch-norm';
export { ParamSeeds } from './nn/param-seeds';
export { PatchEmbed, patchify } from './nn/patch-embed';
export { gatherKeptTokens, keepIndicesFromNoise, keptPatchCount, patchKeepIndices } from './nn/patch-mask';
export { embeddingLookup } from './nn/embedding';
export { OPEN_CLIP_BLOCK_NAMING, TIMM_BLOCK_NAMING, Transformer } from './nn/transformer';
export type { BlockNaming, TransformerConfig } from './nn/transformer';
export { constantVariable, normalVariable, truncNormalVariable } from './nn/init';
export { stopGradient } from './nn/stop-gradient';
export { L2_NORM_EPS, l2Normalize } from './nn/l2-normalize';
export { columnStats, disposeColumnStats, standardize, standardizeBatch } from './nn/standardize';
export type { ColumnStats, ColumnStatsOptions } from './nn/standardize';

// Optimisation, for evaluators that train (finetune).
export { AdamW } from './engine/optim/adamw';
export { learningRate } from './engine/schedule';
export type { LrSchedule } from './engine/schedule';

// Data: what datasets and augmentations share with the pipeline.
export { DataLoader } from './data/loader';
export { indexedSamples } from './data/indexed';
export { bufferShuffle } from './data/order';
export { withDefaults } from './plugins/options';
export { drawFlags, rangeAround } from './data/random-params';
export { sampleRng, SampleKeyedRng } from './data/sample-rng';
export {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  gaussianKernel1d,
  grayscale,
  selectTransformed,
  separableConvPerSample,
} from './data/image-ops';
export { realPathInside, resolveInside } from './data/safe-path';
export { fillTemplate } from './data/captions';

// Evaluation plumbing: batches of an eval dataset, features, the evaluators' common options.
export { DEFAULT_MAX_FAILURE_FRACTION, evalReadOptions, forEachBatch, limitedDataset } from './eval/dataset-batches';
export type { EvalReadOptions } from './eval/dataset-batches';
export { buildEvalDataset, buildTrainSplitDatasets } from './eval/eval-datasets';
export type { TrainSplitDatasets } from './eval/eval-datasets';
export { checkLabels, collectFeatures, featureSourceProperty, imageFeatureFn, resolveNumClasses } from './eval/features';
export type { FeatureSet, FeatureSource, ImageFeatureFn } from './eval/features';
export { classificationProperties, commonEvaluatorProperties, topKProperties, trainSplitProperties } from './eval/options';
export type { ClassificationOptions, CommonEvaluatorOptions, TrainSplitOptions } from './eval/options';

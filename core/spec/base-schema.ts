import { pluginSlot, type JsonSchema } from './json-schema';
import { SWEEP_SCHEMA } from './sweep-schema';
import { MODEL_INIT_SCHEMA } from './model-init-schema';

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

const positiveInt = (extra: JsonSchema = {}): JsonSchema => ({ type: 'integer', minimum: 1, ...extra });

/**
 * The experiment spec without its plugin blocks: every `x-plugin` slot is filled by the
 * composer with the union of the registered plugins of that kind.
 */
export function baseSchema(): JsonSchema {
  return {
    title: 'slipkit experiment',
    description: 'A declarative slipkit experiment: data, model, views, objectives, optimisation, evaluation, tracking.',
    type: 'object',
    additionalProperties: false,
    required: ['name', 'data', 'model', 'objectives', 'train'],
    properties: {
      $schema: { type: 'string', description: 'Path or URL of this JSON Schema, for editors.' },
      name: { type: 'string', pattern: '^[A-Za-z0-9][\\w.-]*$', description: 'Run name (letters, digits, _ . -).' },
      description: { type: 'string' },
      extends: {
        description: 'Base spec(s), deep-merged in order, this file on top; arrays are replaced, null deletes a key.',
        oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
      },
      baseDir: {
        type: 'string',
        minLength: 1,
        description:
          "Directory that relative paths in the spec (data files, plugins added by --set) resolve against, relative to the spec file (default: the spec file's directory). The resolved spec a run and its checkpoints save records it as an absolute path, so they reload from any working directory.",
      },
      plugins: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        description: 'External plugins: .js/.ts files relative to the spec file that names them, or installed npm packages (the resolved spec holds absolute paths).',
      },
      sweep: SWEEP_SCHEMA,
      seed: { type: 'integer', minimum: 0, default: 0 },
      backend: { enum: [...BACKENDS], default: 'auto', description: 'Compute backend; auto tries tensorflow, webgpu, wasm, cpu.' },
      outDir: { type: 'string', minLength: 1, default: 'runs', description: 'Runs are written to <outDir>/<name>.' },
      data: {
        type: 'object',
        additionalProperties: false,
        required: ['train'],
        properties: {
          train: pluginSlot('dataset', { description: 'Training dataset.' }),
          tokenizer: pluginSlot('tokenizer', { description: 'Caption tokenizer (needed with a text encoder).' }),
          imageSize: { type: 'integer', minimum: 8, default: 64, description: 'Side of the square images the model sees.' },
          loadSize: {
            type: 'integer',
            minimum: 8,
            description: 'Side images are decoded to before augmentation (default: 8/7 of imageSize).',
          },
          workers: { type: 'integer', minimum: 0, default: 1, description: 'Decoding worker threads (0: decode inline).' },
          prefetchBatches: positiveInt({ default: 2, description: 'Batches decoded ahead of the training step.' }),
          maxFailureFraction: {
            type: 'number',
            minimum: 0,
            maximum: 1,
            default: 0.01,
            description:
              'Bad samples (image missing, unreadable, undecodable, truncated, empty or over the pixel limit; path leaving the image root; caption bytes not UTF-8; tar member cut short) are skipped and counted; the run stops with a DataError (exit 2) as soon as bad > maxFailureFraction × max(samples seen, 10 / maxFailureFraction clamped to 20..1000), and as soon as bad > maxFailureFraction × samples seen once a whole pass has been read. 0: any bad sample is fatal.',
          },
        },
      },
      model: {
        type: 'object',
        additionalProperties: false,
        required: ['image'],
        properties: {
          image: pluginSlot('imageEncoder'),
          text: pluginSlot('textEncoder'),
          embedDim: positiveInt({ default: 256, description: 'Width of the joint image-text embedding.' }),
          init: MODEL_INIT_SCHEMA,
        },
      },
      views: {
        type: 'object',
        description: 'Named views: each a list of augmentations applied in order.',
        propertyNames: { pattern: '^[A-Za-z][\\w-]*$' },
        additionalProperties: { type: 'array', items: pluginSlot('augmentation') },
        default: {},
      },
      objectives: {
        type: 'array',
        minItems: 1,
        items: pluginSlot('objective'),
        description: 'Losses; the total is the weighted sum.',
      },
      optimizer: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          type: { const: 'adamw', default: 'adamw' },
          lr: { type: 'number', exclusiveMinimum: 0, default: 3e-3, description: 'Peak learning rate.' },
          weightDecay: { type: 'number', minimum: 0, default: 0.1 },
          betas: {
            type: 'array',
            items: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
            minItems: 2,
            maxItems: 2,
            default: [0.9, 0.98],
          },
          eps: { type: 'number', exclusiveMinimum: 0, default: 1e-8 },
          clipGradNorm: { type: 'number', exclusiveMinimum: 0, description: 'Clip the global gradient norm to this.' },
        },
      },
      schedule: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          type: { enum: ['cosine', 'constant'], default: 'cosine' },
          warmupSteps: { type: 'integer', minimum: 0, default: 0 },
          startLr: { type: 'number', minimum: 0, default: 0, description: 'Learning rate at step 0 (warmup start).' },
          endLr: { type: 'number', minimum: 0, default: 1e-5, description: 'Learning rate at the last step (cosine).' },
        },
      },
      train: {
        type: 'object',
        additionalProperties: false,
        required: ['steps', 'batchSize'],
        properties: {
          steps: positiveInt({ description: 'Optimiser steps.' }),
          batchSize: positiveInt(),
          accumulate: positiveInt({ default: 1, description: 'Micro-batches accumulated per optimiser step.' }),
          gradCache: {
            type: 'object',
            additionalProperties: false,
            required: ['chunkSize'],
            properties: { chunkSize: positiveInt({ description: 'Encoder sub-batch size for memory-bounded contrastive batches.' }) },
          },
          logEvery: positiveInt({ default: 10 }),
          checkpointEvery: { type: 'integer', minimum: 0, default: 0, description: '0: only at the end.' },
          evalEvery: { type: 'integer', minimum: 0, default: 0, description: '0: only at the end.' },
          bestMetric: { type: 'string', description: 'Eval metric that selects the best checkpoint, e.g. "zero-shot/top1".' },
        },
      },
      eval: { type: 'array', items: pluginSlot('evaluator'), default: [] },
      tracking: pluginSlot('tracker', { description: 'Where params, metrics and artifacts go (default: the embedded local store).' }),
    },
  };
}

import type { JsonSchema } from '../../../core/toolkit';
import type { HeadOptions, MomentumOptions, PredictorOptions } from './options';

/** Schema fragments shared by the objectives; each objective passes its defaults (the schema is where they live). */

export function viewsSchema(defaults: readonly string[], what: string): JsonSchema {
  return {
    type: 'array',
    items: { type: 'string', minLength: 1 },
    minItems: defaults.length,
    maxItems: defaults.length,
    default: [...defaults],
    description: `Names of the spec's views this objective reads, by position: ${what}. Repeating a name draws independent augmentations.`,
  };
}

/** Views of a multi-crop objective: the global crops first, then any number of local crops. */
export function multiCropViewsSchema(defaults: readonly string[], what: string): JsonSchema {
  return {
    type: 'array',
    items: { type: 'string', minLength: 1 },
    minItems: 2,
    default: [...defaults],
    description: `Names of the spec's views this objective reads, by position: ${what}. Repeating a name draws independent augmentations; views may differ in size (local crops smaller than the global ones).`,
  };
}

export function temperatureSchema(defaultValue: number, description: string): JsonSchema {
  return { type: 'number', exclusiveMinimum: 0, default: defaultValue, description };
}

const widthsSchema = (defaults: readonly number[]): JsonSchema => ({
  type: 'array',
  items: { type: 'integer', minimum: 1 },
  default: [...defaults],
  description: 'Widths of the hidden layers, each Linear → BatchNorm1d → ReLU (empty: a single Linear).',
});

export function headSchema(defaults: HeadOptions, description: string): JsonSchema {
  return {
    type: 'object',
    description,
    properties: {
      hidden: widthsSchema(defaults.hidden),
      out: { type: 'integer', minimum: 1, default: defaults.out, description: 'Output width.' },
    },
    additionalProperties: false,
    default: {},
  };
}

export function predictorSchema(defaults: PredictorOptions, description: string): JsonSchema {
  return {
    type: 'object',
    description: `${description} Its output width is the projector's.`,
    properties: { hidden: widthsSchema(defaults.hidden) },
    additionalProperties: false,
    default: {},
  };
}

export function momentumSchema(defaults: MomentumOptions): JsonSchema {
  return {
    type: 'object',
    description:
      'EMA momentum of the target (momentum encoder and target heads): target ← m·target + (1 − m)·online, m following a cosine schedule from start to end over training.',
    properties: {
      start: { type: 'number', minimum: 0, maximum: 1, default: defaults.start, description: 'Momentum at step 0.' },
      end: { type: 'number', minimum: 0, maximum: 1, default: defaults.end, description: 'Momentum at the last step.' },
    },
    additionalProperties: false,
    default: {},
  };
}

export const inputDimSchema: JsonSchema = {
  type: 'integer',
  minimum: 1,
  description:
    "Width of the image features the heads read. Leave it out in experiments: it is taken from the model's image encoder. Needed only when the objective is built without one (library use, tests).",
};

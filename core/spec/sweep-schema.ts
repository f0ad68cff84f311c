import type { JsonSchema } from './json-schema';

/**
 * The `sweep` block: `grid` maps spec paths (as in --set: `optimizer.lr`, `objectives[1].weight`)
 * to the values to try, and every combination is a run; `list` gives one run per entry of
 * path → value. With both, each list entry is crossed with the whole grid.
 */
export const SWEEP_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  description:
    'Expands this spec into several runs. grid: path -> values, one run per combination; list: one run per entry of path -> value; both: each list entry crossed with the grid. Paths use the --set syntax (optimizer.lr, objectives[1].weight).',
  properties: {
    grid: {
      type: 'object',
      minProperties: 1,
      additionalProperties: { type: 'array', minItems: 1 },
      description: 'Spec path -> values to try; every combination is a run (the first path varies slowest).',
    },
    list: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', minProperties: 1 },
      description: 'One run per entry; each entry maps spec paths to values.',
    },
  },
};

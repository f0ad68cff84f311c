import Ajv from 'ajv';
import { tmpdir } from 'node:os';
import { container } from 'tsyringe';
import type { Dataset } from '../../../../core/contracts/dataset';
import type { Evaluator } from '../../../../core/contracts/evaluator';
import type { AnyPluginDefinition, PluginContext } from '../../../../core/plugins/define';
import type { PluginKinds } from '../../../../core/plugins/kinds';
import { PLUGIN_SLOT, type JsonSchema } from '../../../../core/spec/json-schema';
import { Logger } from '../../../../core/logger';

export const quietLog = new Logger('silent');

/** Replaces every plugin slot with "any object", so a plugin's own schema compiles alone. */
function openSlots(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openSlots);
  if (!node || typeof node !== 'object') return node;
  const obj = node as JsonSchema;
  if (typeof obj[PLUGIN_SLOT] === 'string') return { type: 'object', required: ['type'] };
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, openSlots(v)]));
}

/** Validates options against the plugin's schema, filling defaults (as the spec validator does); throws on errors. */
export function resolveOptions(def: AnyPluginDefinition, raw: Record<string, unknown>): Record<string, unknown> {
  const ajv = new Ajv({ useDefaults: true, strict: false, allErrors: true });
  const validate = ajv.compile(openSlots(def.schema) as JsonSchema);
  const options = structuredClone(raw);
  if (!validate(options)) throw new Error(ajv.errorsText(validate.errors));
  return options;
}

/**
 * Builds an evaluator plugin from raw options; its dataset blocks are
 * `{ "type": "test", "id": <key of datasets> }`.
 */
export function buildEvaluator(def: AnyPluginDefinition, raw: Record<string, unknown>, datasets: Record<string, Dataset>, seed = 0): Evaluator {
  const ctx: PluginContext = {
    container,
    log: quietLog,
    seed,
    baseDir: tmpdir(),
    path: 'eval[0]',
    settings: { imageSize: 28, embedDim: 10 },
    build: <K extends keyof PluginKinds>(kind: K, block: { type: string; [k: string]: unknown }, path: string): PluginKinds[K] => {
      if (kind !== 'dataset') throw new Error(`unexpected ${kind} at ${path}`);
      const dataset = datasets[String(block.id)];
      if (!dataset) throw new Error(`no test dataset "${String(block.id)}" at ${path}`);
      return dataset as PluginKinds[K];
    },
  };
  return def.create!(resolveOptions(def, raw), ctx) as Evaluator;
}

export const evalContext = { step: 0, seed: 0, log: quietLog };

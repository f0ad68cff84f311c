import Ajv, { type ValidateFunction } from 'ajv';
import type { JsonSchema } from '../spec/json-schema';

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });
const compiled = new WeakMap<JsonSchema, ValidateFunction>();

/**
 * A plugin's options with the `default`s of its schema filled in, nested objects included,
 * exactly as the spec validator fills a block (ajv `useDefaults`): the schema is the one
 * place a default is written. The plugin builder applies it to every block it builds, so
 * `create` always receives complete options; code that builds a plugin without the builder
 * (tests, library use) calls it too. Only fills: validating is the spec validator's job.
 */
export function withDefaults<O extends object>(schema: JsonSchema, options: object): O {
  let fill = compiled.get(schema);
  if (!fill) {
    fill = ajv.compile(schema);
    compiled.set(schema, fill);
  }
  const out = structuredClone(options);
  fill(out);
  return out as O;
}

import type { JsonSchema } from '../spec/json-schema';

/**
 * Fills an options object with the top-level `default`s of its plugin schema. The spec
 * validator already does this for blocks in a spec; plugins call it too so that blocks
 * built directly (tests, nested blocks, the preview command) behave the same.
 */
export function withDefaults<O extends object>(schema: JsonSchema, options: Partial<O>): O {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(properties)) {
    if (prop.default !== undefined) out[key] = structuredClone(prop.default);
  }
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as O;
}

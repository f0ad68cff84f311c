/**
 * A JSON Schema (draft 2020-12 subset that ajv understands) as a plain object.
 * `x-plugin: "<kind>"` marks a place where a plugin block of that kind goes; the schema
 * composer replaces it with the union of every registered plugin of the kind.
 */
export type JsonSchema = { [keyword: string]: unknown };

export const PLUGIN_SLOT = 'x-plugin';

/** A slot for one plugin block of `kind`. */
export function pluginSlot(kind: string, extra: JsonSchema = {}): JsonSchema {
  return { [PLUGIN_SLOT]: kind, ...extra };
}

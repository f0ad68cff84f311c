import { KIND_INFO, PLUGIN_KINDS, type PluginKind } from '../plugins/kinds';
import type { PluginRegistry } from '../plugins/registry';
import { baseSchema } from './base-schema';
import { PLUGIN_SLOT, type JsonSchema } from './json-schema';

/** Annotation on each kind's union schema, so validation errors can say which kind a block is. */
export const KIND_MARK = 'x-plugin-kind';

/** Definition name of the union of all plugins of a kind. */
const kindRef = (kind: PluginKind): string => `#/definitions/${kind}`;

/** Replaces every `x-plugin` slot (recursively) with a $ref to its kind's union. */
function fillSlots(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(fillSlots);
  if (!node || typeof node !== 'object') return node;
  const obj = node as JsonSchema;
  if (typeof obj[PLUGIN_SLOT] === 'string') {
    const { [PLUGIN_SLOT]: kind, ...rest } = obj;
    return { ...rest, $ref: kindRef(kind as PluginKind) };
  }
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(obj)) out[k] = fillSlots(v);
  return out;
}

/** One plugin's block schema: `type` fixed to its name, the kind's common options, its own options. */
function pluginBlockSchema(kind: PluginKind, name: string, description: string, schema: JsonSchema): JsonSchema {
  const ownProps = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  const ownRequired = (schema.required as string[] | undefined) ?? [];
  const rest: JsonSchema = { ...schema };
  for (const k of ['properties', 'required', 'additionalProperties', 'type', 'title', 'description', '$schema']) delete rest[k];
  return fillSlots({
    title: `${kind} "${name}"`,
    description,
    ...rest,
    type: 'object',
    additionalProperties: false,
    required: ['type', ...ownRequired],
    properties: {
      type: { const: name },
      ...KIND_INFO[kind].commonProperties,
      ...ownProps,
    },
  }) as JsonSchema;
}

/** The union of a kind's plugins, discriminated by `type`. */
function kindSchema(registry: PluginRegistry, kind: PluginKind): JsonSchema {
  const entries = registry.entries(kind);
  const label = KIND_INFO[kind].label;
  if (entries.length === 0) {
    return {
      description: `${label} (none registered)`,
      [KIND_MARK]: kind,
      type: 'object',
      required: ['type'],
      properties: { type: { type: 'string' } },
    };
  }
  return {
    description: `A ${label}: ${KIND_INFO[kind].description}.`,
    [KIND_MARK]: kind,
    type: 'object',
    required: ['type'],
    discriminator: { propertyName: 'type' },
    oneOf: entries.map(({ definition: d }) => pluginBlockSchema(kind, d.name, d.description, d.schema)),
  };
}

/**
 * The whole experiment schema: the base schema with each plugin slot bound to the union
 * of the registered plugins of its kind. Used both by ajv and as the editor schema file.
 */
export function composeExperimentSchema(registry: PluginRegistry): JsonSchema {
  const definitions: Record<string, JsonSchema> = {};
  for (const kind of PLUGIN_KINDS) definitions[kind] = kindSchema(registry, kind);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...(fillSlots(baseSchema()) as JsonSchema),
    definitions,
  };
}

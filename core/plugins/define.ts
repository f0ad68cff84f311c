import type { DependencyContainer, InjectionToken } from 'tsyringe';
import type { Logger } from '../logger';
import type { JsonSchema } from '../spec/json-schema';
import type { PluginKind, PluginKinds } from './kinds';

/** What a plugin's factory receives besides its options. */
export interface PluginContext {
  /** The experiment's container: resolve shared services (tokenizer, logger, …) from it. */
  container: DependencyContainer;
  log: Logger;
  /** Experiment seed. */
  seed: number;
  /** Directory of the spec file: relative paths in options resolve against it. */
  baseDir: string;
  /** JSON path of this block in the spec, for error messages (`data.train`). */
  path: string;
  /** Settings shared by many plugins (from the spec's data/model blocks). */
  settings: SharedSettings;
  /** Builds a nested plugin block (e.g. an evaluator's dataset). */
  build<K extends PluginKind>(kind: K, block: PluginBlock, path: string): PluginKinds[K];
}

export interface SharedSettings {
  /** Side of the square images the model sees. */
  imageSize: number;
  /** Joint image-text embedding width. */
  embedDim: number;
}

/** A plugin block as it appears in a spec: its `type` plus options. */
export interface PluginBlock {
  type: string;
  [option: string]: unknown;
}

/** Builds a plugin from its options, which arrive complete: the builder fills the schema's defaults in first. */
type Factory<K extends PluginKind, O> = (options: O, ctx: PluginContext) => PluginKinds[K];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type InjectableClass<K extends PluginKind> = new (...args: any[]) => PluginKinds[K];

interface PluginDefinitionBase<K extends PluginKind> {
  kind: K;
  name: string;
  description: string;
  /** JSON Schema of the options (without `type`); `additionalProperties: false` is enforced. */
  schema: JsonSchema;
  /**
   * Marks the plugin used when a spec leaves its (optional) slot empty, e.g. the embedded
   * local tracker. At most one per kind.
   */
  embeddedDefault?: boolean;
}

/**
 * A plugin: kind + name + description + options schema + how to build it. Either a
 * `create` factory, or an `injectable` class that tsyringe constructs, receiving
 * `@inject(PLUGIN_OPTIONS)` and `@inject(PLUGIN_CONTEXT)` and any registered service.
 */
export type PluginDefinition<K extends PluginKind = PluginKind, O = Record<string, unknown>> = PluginDefinitionBase<K> &
  ({ create: Factory<K, O>; injectable?: undefined } | { injectable: InjectableClass<K>; create?: undefined });

/** Any plugin definition, whatever its kind and options. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPluginDefinition = PluginDefinition<PluginKind, any>;

export const PLUGIN_OPTIONS: InjectionToken<Record<string, unknown>> = 'slipkit.pluginOptions';
export const PLUGIN_CONTEXT: InjectionToken<PluginContext> = 'slipkit.pluginContext';

/** Identity helper that types a plugin definition. */
export function definePlugin<K extends PluginKind, O = Record<string, unknown>>(def: PluginDefinition<K, O>): PluginDefinition<K, O> {
  return def;
}

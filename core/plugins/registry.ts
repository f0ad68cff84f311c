import { PluginError } from '../errors';
import type { AnyPluginDefinition, PluginDefinition } from './define';
import { KIND_INFO, PLUGIN_KINDS, isPluginKind, type PluginKind } from './kinds';
import { didYouMean } from './suggest';

export interface RegisteredPlugin {
  definition: AnyPluginDefinition;
  /** Where it came from: the built-in manifest, a file path or an npm package name. */
  source: string;
}

/**
 * Every plugin known to a process, by kind and name. Registration is explicit (the
 * built-in manifest, or a spec's `plugins` list), never an import side effect.
 */
export class PluginRegistry {
  private readonly byKind = new Map<PluginKind, Map<string, RegisteredPlugin>>();

  constructor() {
    for (const kind of PLUGIN_KINDS) this.byKind.set(kind, new Map());
  }

  register(definition: AnyPluginDefinition, source: string): void {
    const { kind, name } = definition;
    if (!isPluginKind(kind)) {
      throw new PluginError(`plugin "${name}" from ${source} has unknown kind "${kind}"${didYouMean(kind, PLUGIN_KINDS)}`);
    }
    if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
      throw new PluginError(`plugin from ${source} has an invalid name ${JSON.stringify(name)} (lowercase letters, digits, . _ -)`);
    }
    if (!definition.create && !definition.injectable) {
      throw new PluginError(`${kind} "${name}" from ${source} has neither a create factory nor an injectable class`);
    }
    const table = this.byKind.get(kind)!;
    const existing = table.get(name);
    if (existing) {
      throw new PluginError(
        `${KIND_INFO[kind].label} "${name}" is registered twice: first by ${existing.source}, again by ${source}`,
      );
    }
    table.set(name, { definition, source });
  }

  registerAll(definitions: readonly AnyPluginDefinition[], source: string): void {
    for (const d of definitions) this.register(d, source);
  }

  has(kind: PluginKind, name: string): boolean {
    return this.byKind.get(kind)!.has(name);
  }

  /** The definition, or a PluginError with a "did you mean" suggestion. */
  get<K extends PluginKind>(kind: K, name: string): PluginDefinition<K, Record<string, unknown>> {
    const found = this.byKind.get(kind)!.get(name);
    if (!found) {
      throw new PluginError(`unknown ${KIND_INFO[kind].label} "${name}"${didYouMean(name, this.names(kind))}`);
    }
    return found.definition as unknown as PluginDefinition<K, Record<string, unknown>>;
  }

  names(kind: PluginKind): string[] {
    return [...this.byKind.get(kind)!.keys()].sort();
  }

  entries(kind?: PluginKind): RegisteredPlugin[] {
    const kinds = kind ? [kind] : PLUGIN_KINDS;
    return kinds.flatMap((k) =>
      [...this.byKind.get(k)!.values()].sort((a, b) => a.definition.name.localeCompare(b.definition.name)),
    );
  }
}

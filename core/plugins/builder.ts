import 'reflect-metadata';
import type { DependencyContainer } from 'tsyringe';
import { SlipkitError, SpecError } from '../errors';
import type { Logger } from '../logger';
import type { ResolvedSpec } from '../spec/types';
import { KIND_INFO, type PluginKind, type PluginKinds } from './kinds';
import { PLUGIN_CONTEXT, PLUGIN_OPTIONS, type PluginBlock, type PluginContext, type SharedSettings } from './define';
import { withDefaults } from './options';
import type { PluginRegistry } from './registry';

export interface BuilderOptions {
  registry: PluginRegistry;
  container: DependencyContainer;
  log: Logger;
  seed: number;
  baseDir: string;
  settings: SharedSettings;
}

/**
 * Instantiates plugin blocks from a validated spec through the tsyringe container: a
 * factory gets (options with their schema's defaults, context); an injectable class is resolved in a child container
 * where PLUGIN_OPTIONS and PLUGIN_CONTEXT are bound for it.
 */
export class PluginBuilder {
  constructor(private readonly opts: BuilderOptions) {}

  /** The builder of a resolved spec's blocks: its seed, base directory and shared settings. */
  static forSpec(spec: ResolvedSpec, registry: PluginRegistry, log: Logger, container: DependencyContainer): PluginBuilder {
    return new PluginBuilder({
      registry,
      container,
      log,
      seed: spec.seed,
      baseDir: spec.baseDir,
      settings: { imageSize: spec.data.imageSize, embedDim: spec.model.embedDim },
    });
  }

  build<K extends PluginKind>(kind: K, block: PluginBlock, path: string): PluginKinds[K] {
    const def = this.opts.registry.get(kind, block.type);
    const own: Record<string, unknown> = { ...block };
    delete own.type;
    for (const common of Object.keys(KIND_INFO[kind].commonProperties)) delete own[common];
    // A block of a resolved spec has its defaults already; one built otherwise (an optional
    // slot's embedded default, a nested block made in code) gets them here, the same way.
    const options = withDefaults<Record<string, unknown>>(def.schema, own);
    const ctx: PluginContext = {
      container: this.opts.container,
      log: this.opts.log.child(`${kind}:${block.type}`),
      seed: this.opts.seed,
      baseDir: this.opts.baseDir,
      path,
      settings: this.opts.settings,
      build: (k, b, p) => this.build(k, b, p),
    };
    try {
      if (def.create) return def.create(options, ctx);
      const child = this.opts.container.createChildContainer();
      child.register(PLUGIN_OPTIONS, { useValue: options });
      child.register(PLUGIN_CONTEXT, { useValue: ctx });
      return child.resolve(def.injectable!);
    } catch (err) {
      if (err instanceof SlipkitError) throw err;
      throw SpecError.at(path, `cannot build ${KIND_INFO[kind].label} "${block.type}": ${(err as Error).message}`);
    }
  }

  /** The block to use for an optional slot left empty: the kind's embedded default, if any. */
  defaultBlock(kind: PluginKind): PluginBlock | undefined {
    const def = this.opts.registry.entries(kind).find((e) => e.definition.embeddedDefault);
    return def ? { type: def.definition.name } : undefined;
  }
}

/**
 * slipkit's programmatic API: run, resume and resolve experiments, and the plugin registry.
 *   import { runExperiment, resolveExperiment } from 'slipkit';
 *
 * Plugin authors import 'slipkit/toolkit' (core/toolkit.ts) instead: it is the one module
 * of core a plugin may import. This module re-exports the toolkit too, so programmatic
 * code that defines a plugin inline needs a single import.
 */
export * from './toolkit';
export { KIND_INFO, PLUGIN_KINDS } from './plugins/kinds';
export type { PluginKinds } from './plugins/kinds';
export { PluginRegistry } from './plugins/registry';
export { loadExternalPlugins } from './plugins/load-external';
export { resolveExperiment } from './spec/resolve';
export type { ResolvedSpec } from './spec/types';
export { runExperiment, resumeRun } from './engine/run';

import type { AnyPluginDefinition } from '../core/plugins/define';

/**
 * The built-in plugin manifest: every plugin slipkit ships, listed once, in one place.
 * Registration never depends on import order or side effects. To add a plugin: write
 * plugins/<kind>/<name>.ts exporting a definePlugin(...) default, and list it here.
 */
export const builtinPlugins: readonly AnyPluginDefinition[] = [];

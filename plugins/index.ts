import type { AnyPluginDefinition } from '../core/plugins/define';
import finetune from './evaluators/finetune';
import knn from './evaluators/knn';
import linearProbe from './evaluators/linear-probe';
import retrieval from './evaluators/retrieval';
import zeroShot from './evaluators/zero-shot';
import vit from './image-encoders/vit';
import textTransformer from './text-encoders/text-transformer';
import clipBpe from './tokenizers/clip-bpe';

/**
 * The built-in plugin manifest: every plugin slipkit ships, listed once, in one place.
 * Registration never depends on import order or side effects. To add a plugin: write
 * plugins/<kind>/<name>.ts exporting a definePlugin(...) default, and list it here.
 */
export const builtinPlugins: readonly AnyPluginDefinition[] = [
  vit,
  textTransformer,
  clipBpe,
  zeroShot,
  linearProbe,
  knn,
  retrieval,
  finetune,
];

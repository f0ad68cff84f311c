import type { AnyPluginDefinition } from '../core/plugins/define';
import finetune from './evaluators/finetune';
import knn from './evaluators/knn';
import linearProbe from './evaluators/linear-probe';
import retrieval from './evaluators/retrieval';
import zeroShot from './evaluators/zero-shot';
import vit from './image-encoders/vit';
import barlowTwins from './objectives/barlow-twins';
import byol from './objectives/byol';
import clip from './objectives/clip';
import mocov3 from './objectives/mocov3';
import simclr from './objectives/simclr';
import simsiam from './objectives/simsiam';
import vicreg from './objectives/vicreg';
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
  clip,
  simclr,
  mocov3,
  byol,
  simsiam,
  barlowTwins,
  vicreg,
  zeroShot,
  linearProbe,
  knn,
  retrieval,
  finetune,
];

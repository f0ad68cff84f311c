import type { AnyPluginDefinition, CliCommand } from '../core/toolkit';
import { registerRuns } from './trackers/mlflow/cli-runs';
import { registerSync } from './trackers/mlflow/cli-sync';
import colorJitter from './augmentations/color-jitter';
import gaussianBlur from './augmentations/gaussian-blur';
import grayscale from './augmentations/grayscale';
import horizontalFlip from './augmentations/horizontal-flip';
import normalize from './augmentations/normalize';
import patchMask from './augmentations/patch-mask';
import randomResizedCrop from './augmentations/random-resized-crop';
import solarize from './augmentations/solarize';
import fashionMnist from './datasets/fashion-mnist';
import imageFolder from './datasets/image-folder';
import imageTextManifest from './datasets/image-text-manifest';
import mnist from './datasets/mnist';
import syntheticShapes from './datasets/synthetic-shapes';
import webdataset from './datasets/webdataset';
import finetune from './evaluators/finetune';
import knn from './evaluators/knn';
import linearProbe from './evaluators/linear-probe';
import retrieval from './evaluators/retrieval';
import zeroShot from './evaluators/zero-shot';
import vit from './image-encoders/vit';
import barlowTwins from './objectives/barlow-twins';
import byol from './objectives/byol';
import clip from './objectives/clip';
import dcl from './objectives/dcl';
import dclw from './objectives/dclw';
import dino from './objectives/dino';
import mae from './objectives/mae';
import mocov3 from './objectives/mocov3';
import nnclr from './objectives/nnclr';
import simclr from './objectives/simclr';
import simsiam from './objectives/simsiam';
import swav from './objectives/swav';
import vicreg from './objectives/vicreg';
import textTransformer from './text-encoders/text-transformer';
import clipBpe from './tokenizers/clip-bpe';
import consoleTracker from './trackers/console';
import mlflowTracker from './trackers/mlflow';
import { registerExport, registerServe } from './web-export/commands';

/**
 * The built-in plugin manifest: every plugin slipkit ships, listed once, in one place.
 * Registration never depends on import order or side effects. To add a plugin: write
 * plugins/<kind>/<name>.ts exporting a definePlugin(...) default, and list it here.
 */
export const builtinPlugins: readonly AnyPluginDefinition[] = [
  imageTextManifest,
  webdataset,
  imageFolder,
  mnist,
  fashionMnist,
  syntheticShapes,
  randomResizedCrop,
  colorJitter,
  grayscale,
  gaussianBlur,
  solarize,
  horizontalFlip,
  normalize,
  patchMask,
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
  dcl,
  dclw,
  dino,
  swav,
  nnclr,
  mae,
  zeroShot,
  linearProbe,
  knn,
  retrieval,
  finetune,
  mlflowTracker,
  consoleTracker,
];

/** CLI commands that plugins contribute (core's own commands live in core/cli/commands). */
export const builtinCommands: readonly CliCommand[] = [registerRuns, registerSync, registerExport, registerServe];

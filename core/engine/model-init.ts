import * as fs from 'node:fs';
import * as path from 'node:path';
import { importMatching, type ImportReport } from '../checkpoint/import-weights';
import { detectLayout, layoutCovers, toSlipkitNames, type CheckpointLayout } from '../checkpoint/layouts';
import { readSafetensors } from '../checkpoint/safetensors';
import type { NamedVariable } from '../contracts/trainable';
import { SpecError } from '../errors';
import type { Logger } from '../logger';
import type { ModelInitSpec } from '../spec/model-init-schema';

const SPEC_PATH = 'model.init';

/** The safetensors file `model.init.path` names: the file itself, or a checkpoint directory's model.safetensors. */
function initFile(init: ModelInitSpec, baseDir: string): string {
  const given = path.resolve(baseDir, init.path);
  if (!fs.existsSync(given)) throw SpecError.at(`${SPEC_PATH}.path`, `${given} does not exist`);
  const file = fs.statSync(given).isDirectory() ? path.join(given, 'model.safetensors') : given;
  if (!fs.existsSync(file)) throw SpecError.at(`${SPEC_PATH}.path`, `${given} is a directory without model.safetensors`);
  return file;
}

/**
 * Initialises parameters from the checkpoint `model.init` names (see MODEL_INIT_SCHEMA):
 * renames its tensors into slipkit's names, then assigns those of the chosen tower. Strict
 * mode refuses a checkpoint that does not fit the tower exactly (a SpecError listing every
 * missing, unexpected and mis-shaped name); partial mode loads what fits and logs the rest.
 *
 * @param params the model's parameters, plus a `logit_scale` (the CLIP objective's) when there is one
 */
export function applyModelInit(init: ModelInitSpec, params: readonly NamedVariable[], baseDir: string, log: Logger): ImportReport & { file: string; layout: CheckpointLayout } {
  const file = initFile(init, baseDir);
  let tensors;
  try {
    tensors = readSafetensors(file).tensors;
  } catch (err) {
    throw SpecError.at(`${SPEC_PATH}.path`, `cannot read ${file}: ${(err as Error).message}`);
  }
  const layout = init.layout === 'auto' ? detectLayout(tensors.keys()) : init.layout;
  if (!layout) throw SpecError.at(`${SPEC_PATH}.layout`, `cannot tell the layout of ${file} from its names; set it to slipkit, open_clip or timm`);
  if (layout === 'timm' && init.tower === 'text') throw SpecError.at(`${SPEC_PATH}.tower`, 'a timm ViT checkpoint has no text tower');
  // A timm checkpoint is an image tower: importing "all" of it means the image tower.
  const tower = layout === 'timm' ? 'image' : init.tower;
  const report = importMatching(params, toSlipkitNames(tensors, layout), {
    tower,
    strict: init.strict,
    covers: layoutCovers(layout),
    onMismatch: (lines) => {
      const head = `${file} (${layout} layout, tower ${tower}) does not fit the model (model.init.strict false loads what fits)`;
      throw new SpecError([head, ...lines].map((message) => ({ path: SPEC_PATH, message })));
    },
  });
  log.info(`model.init: loaded ${report.loaded.length} tensors (tower ${tower}) from ${file} (${layout} layout)`);
  if (!init.strict) {
    if (report.missing.length) log.warn(`model.init: ${report.missing.length} parameters keep their initial values: ${report.missing.join(', ')}`);
    if (report.unexpected.length) log.warn(`model.init: ${report.unexpected.length} tensors match no parameter: ${report.unexpected.join(', ')}`);
    for (const m of report.misShaped) log.warn(`model.init: ${m.source} has shape [${m.shape}], ${m.name} expects [${m.expected}]; not loaded`);
  }
  if (report.skipped.length) log.info(`model.init: ${report.skipped.length} tensors outside tower ${tower} left alone`);
  return { ...report, file, layout };
}

import 'reflect-metadata';
import { container as rootContainer } from 'tsyringe';
import { selectBackend, type BackendSelection } from '../backend';
import type { Dataset } from '../contracts/dataset';
import type { ImageEncoder, Tokenizer } from '../contracts/encoders';
import type { Evaluator } from '../contracts/evaluator';
import type { NamedVariable } from '../contracts/trainable';
import type { Tracker } from '../contracts/tracker';
import { buildViews, evalPipeline, viewPatchMaskRatio, type ViewPipeline } from '../data/views';
import { IMAGE_ENCODER, TOKENIZER } from '../di-tokens';
import { SpecError } from '../errors';
import type { Logger } from '../logger';
import { PluginBuilder } from '../plugins/builder';
import type { PluginRegistry } from '../plugins/registry';
import { Rng } from '../random';
import type { LoadedExperiment } from '../spec/resolve';
import type { ResolvedSpec } from '../spec/types';
import { blockLabels } from '../spec/validate';
import { DualEncoderModel } from './model';
import { initialiseModel } from './model-init-experiment';
import { viewInstances, type ObjectiveSlot } from './step-inputs';
import * as tf from '@tensorflow/tfjs';

export interface NamedEvaluator {
  /** Metric prefix: the evaluator's `name` option, else its type. */
  label: string;
  evaluator: Evaluator;
}

/** Every built part of an experiment, ready to train or evaluate. */
export interface Experiment {
  spec: ResolvedSpec;
  baseDir: string;
  backend: BackendSelection;
  model: DualEncoderModel;
  slots: ObjectiveSlot[];
  /** Augmentation pipeline per view name. */
  views: Record<string, ViewPipeline>;
  /** What evaluation applies to images: `views.eval` if given, else the deterministic part of the first objective's first view. */
  evalView: ViewPipeline;
  dataset: Dataset;
  evaluators: NamedEvaluator[];
  tracker?: Tracker;
}

/** Trainable parameters: the model's and every objective's (heads, logit scale). */
export function trainableParams(exp: Experiment): NamedVariable[] {
  return [
    ...exp.model.variables(),
    ...exp.slots.flatMap((s) => s.objective.variables().map((v) => ({ ...v, name: `${s.label}.${v.name}` }))),
  ];
}

/** EMA targets (momentum encoders and objectives' target heads) and objectives' own state (centers, queues): checkpointed, never trained. */
export function emaParams(exp: Experiment): NamedVariable[] {
  const out: NamedVariable[] = [];
  for (const s of exp.slots) {
    if (s.ema) out.push(...s.ema.variables().map((v) => ({ ...v, name: `${s.label}.ema.visual.${v.name}` })));
    const online = new Map(s.objective.variables().map((v) => [v.variable, v]));
    (s.objective.momentumPairs?.() ?? []).forEach((pair, i) => {
      const src = online.get(pair.online);
      out.push({ name: `${s.label}.ema.${src ? src.name : `target_${i}`}`, variable: pair.target, decay: false, transposeForTorch: src?.transposeForTorch });
    });
    out.push(...(s.objective.state?.() ?? []).map((v) => ({ ...v, name: `${s.label}.state.${v.name}` })));
  }
  return out;
}

/** A copy of the online image encoder for EMA: same block, same weights, never trained. */
function emaCopy(builder: PluginBuilder, spec: ResolvedSpec, online: ImageEncoder): ImageEncoder {
  const copy = builder.build('imageEncoder', spec.model.image, 'model.image');
  const src = online.variables();
  copy.variables().forEach((v, i) => v.variable.assign(src[i].variable));
  return copy;
}

/**
 * Selects the backend, then builds every plugin of a validated spec through the tsyringe
 * container. Services other plugins may need (tokenizer, image encoder) are registered in
 * the container before those plugins are built.
 */
export async function buildExperiment(loaded: LoadedExperiment, registry: PluginRegistry, log: Logger, options: { withTracker?: boolean } = {}): Promise<Experiment> {
  const { spec, baseDir } = loaded;
  const backend = await selectBackend(spec.backend, log);
  const container = rootContainer.createChildContainer();
  const builder = new PluginBuilder({
    registry,
    container,
    log,
    seed: spec.seed,
    baseDir,
    settings: { imageSize: spec.data.imageSize, embedDim: spec.model.embedDim },
  });

  let tokenizer: Tokenizer | undefined;
  if (spec.data.tokenizer) {
    tokenizer = builder.build('tokenizer', spec.data.tokenizer, 'data.tokenizer');
    container.registerInstance(TOKENIZER, tokenizer);
  }
  const image = builder.build('imageEncoder', spec.model.image, 'model.image');
  container.registerInstance(IMAGE_ENCODER, image);
  const text = spec.model.text ? builder.build('textEncoder', spec.model.text, 'model.text') : undefined;
  const model = new DualEncoderModel(image, text, tokenizer, spec.model.embedDim, Rng.derive(spec.seed, 'model.projections'));

  const slotLabels = blockLabels(spec.objectives.map((o) => ({ type: o.type })));
  const slots: ObjectiveSlot[] = spec.objectives.map((block, i) => {
    const objective = builder.build('objective', block, `objectives[${i}]`);
    if (objective.usesText && !text) {
      throw SpecError.at(`objectives[${i}]`, `objective "${block.type}" needs captions and a text tower: set model.text and data.tokenizer`);
    }
    for (const v of objective.views) {
      if (!spec.views[v]) throw SpecError.at(`objectives[${i}].views`, `unknown view "${v}"`);
    }
    const slot: ObjectiveSlot = { objective, weight: block.weight, label: slotLabels[i], instances: viewInstances(objective.views) };
    if (objective.momentum) slot.ema = emaCopy(builder, spec, image);
    return slot;
  });

  if (spec.model.init) initialiseModel(spec.model.init, model, slots, baseDir, log);

  const views = buildViews(spec.views, builder);
  for (const [name, pipeline] of Object.entries(views)) {
    if (viewPatchMaskRatio(pipeline) !== undefined && !image.supportsPatchMask) {
      throw SpecError.at(`views.${name}`, `masks patch tokens, which the image encoder "${spec.model.image.type}" cannot do (use vit)`);
    }
  }
  const firstView = slots.find((s) => s.objective.views.length)?.objective.views[0];
  const evalView = views.eval ?? (firstView ? evalPipeline(views[firstView]) : []);

  const dataset = builder.build('dataset', spec.data.train, 'data.train');
  const evalLabels = blockLabels(spec.eval);
  const evaluators = spec.eval.map((block, i) => ({ label: evalLabels[i], evaluator: builder.build('evaluator', block, `eval[${i}]`) }));

  let tracker: Tracker | undefined;
  if (options.withTracker !== false) {
    const block = spec.tracking ?? builder.defaultBlock('tracker');
    if (block) tracker = builder.build('tracker', block, 'tracking');
  }
  log.debug(`built experiment ${spec.name}: ${tf.memory().numTensors} tensors`);
  return { spec, baseDir, backend, model, slots, views, evalView, dataset, evaluators, tracker };
}

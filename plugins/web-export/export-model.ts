import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng, SpecError, type Experiment } from '../../core/toolkit';
import { ZeroShotEvaluator } from '../evaluators/zero-shot';
import { PROMPT_TEMPLATE_SETS } from '../evaluators/prompt-templates';
import { VisionTransformer } from '../image-encoders/vit';
import { TextTransformer } from '../text-encoders/text-transformer';
import { ClipBpeTokenizer, clipBpeData } from '../tokenizers/clip-bpe';
import type { WebModelConfig, WebWeightSpec } from './app/model-config';

export const WEIGHTS_FILE = 'weights.bin';
export const TOKENIZER_FILE = 'tokenizer.json';
export const MODEL_FILE = 'model.json';

/** open_clip's text tower LayerNorm epsilon (slipkit's text-transformer uses it too). */
const TEXT_LAYER_NORM_EPS = 1e-5;

/**
 * The per-channel (x − mean) / std that the evaluation view applies, read off the view itself
 * (images of 0s and 1s through it); a view that is not such an affine map per channel (a
 * crop, a blur) cannot run in the page and is refused.
 */
export function evalNormalisation(exp: Experiment, channels: number): { mean: number[]; std: number[] } {
  const through = (value: number): number[] =>
    tf.tidy(() => [...exp.evalView.reduce((x, aug) => aug.apply(x, new Rng(0)), tf.fill([1, 2, 2, channels], value) as tf.Tensor4D).dataSync().slice(0, channels)]);
  const [zero, one, half] = [through(0), through(1), through(0.5)];
  const std = zero.map((z, c) => 1 / (one[c] - z));
  const mean = zero.map((z, c) => -z * std[c]);
  half.forEach((h, c) => {
    if (!(Math.abs(h - (0.5 - mean[c]) / std[c]) < 1e-4)) {
      throw SpecError.at('views', 'the evaluation view is not a per-channel normalisation, so the web page cannot apply it (give views.eval: [{"type": "normalize"}])');
    }
  });
  return { mean, std };
}

function logitScale(exp: Experiment): number {
  const v = exp.slots.flatMap((s) => s.objective.variables()).find((p) => p.name === 'logit_scale');
  return v ? Math.exp(v.variable.dataSync()[0]) : 100; // open_clip's zero-shot convention without a learned scale
}

/** The class names and templates of the spec's first zero-shot evaluator, else the generic templates. */
function promptSetup(exp: Experiment): { classNames?: readonly string[]; templates: readonly string[] } {
  const zeroShot = exp.evaluators.map((e) => e.evaluator).find((e): e is ZeroShotEvaluator => e instanceof ZeroShotEvaluator);
  return zeroShot?.promptSetup() ?? { templates: PROMPT_TEMPLATE_SETS.generic };
}

/**
 * Writes the model's weights (tfjs weights manifest + one float32 shard, slipkit's layout),
 * the CLIP BPE vocabulary and merges, and model.json (architecture, normalisation, prompt
 * templates, logit scale). The page supports what it implements: a `vit` image encoder, a
 * `text-transformer` text encoder and the `clip-bpe` tokenizer.
 */
export function writeWebModel(exp: Experiment, step: number, outDir: string): WebModelConfig {
  const { model, spec } = exp;
  if (!(model.image instanceof VisionTransformer)) throw SpecError.at('model.image', 'the web export supports the vit image encoder only');
  if (!(model.text instanceof TextTransformer)) throw SpecError.at('model.text', 'the web export needs a text-transformer text encoder (zero-shot and search need text)');
  if (!(model.tokenizer instanceof ClipBpeTokenizer)) throw SpecError.at('data.tokenizer', 'the web export supports the clip-bpe tokenizer only');
  const image = model.image.config;
  const text = model.text.config;
  fs.mkdirSync(outDir, { recursive: true });

  const specs: WebWeightSpec[] = [];
  const parts: Buffer[] = [];
  for (const p of model.variables()) {
    const values = p.variable.dataSync() as Float32Array;
    specs.push({ name: p.name, shape: p.variable.shape.slice(), dtype: 'float32' });
    parts.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  }
  fs.writeFileSync(path.join(outDir, WEIGHTS_FILE), Buffer.concat(parts));
  fs.writeFileSync(path.join(outDir, TOKENIZER_FILE), JSON.stringify(clipBpeData()));

  const prompts = promptSetup(exp);
  const config: WebModelConfig = {
    format: 'slipkit-web-model/1',
    name: spec.name,
    step,
    embedDim: spec.model.embedDim,
    image: {
      imageSize: image.imageSize,
      patchSize: image.patchSize,
      channels: image.channels,
      width: image.width,
      depth: image.depth,
      heads: image.heads,
      lnPre: image.lnPre ?? false,
      patchBias: image.patchBias ?? true,
      layerNormEps: model.image.norm.eps,
      activation: image.activation ?? 'gelu',
      pool: image.pool ?? 'token',
      poolNorm: image.poolNorm ?? 'tokens',
    },
    text: {
      width: text.width,
      depth: text.depth,
      heads: text.heads,
      contextLength: text.contextLength,
      vocabSize: text.vocabSize,
      layerNormEps: TEXT_LAYER_NORM_EPS,
      activation: text.activation ?? 'gelu',
    },
    normalize: evalNormalisation(exp, image.channels),
    templates: [...prompts.templates],
    classNames: prompts.classNames && [...prompts.classNames],
    logitScale: logitScale(exp),
    tokenizer: { file: TOKENIZER_FILE, contextLength: model.tokenizer.contextLength },
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
  };
  fs.writeFileSync(path.join(outDir, MODEL_FILE), JSON.stringify(config, null, 1));
  return config;
}

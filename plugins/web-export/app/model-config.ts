/** What `slipkit export` writes to model.json, and what the web page reads (no Node, no slipkit core). */

export type Activation = 'gelu' | 'quick-gelu';

export interface WebImageConfig {
  imageSize: number;
  patchSize: number;
  channels: number;
  width: number;
  depth: number;
  heads: number;
  lnPre: boolean;
  patchBias: boolean;
  layerNormEps: number;
  activation: Activation;
  pool: 'token' | 'avg';
  poolNorm: 'tokens' | 'pooled';
}

export interface WebTextConfig {
  width: number;
  depth: number;
  heads: number;
  contextLength: number;
  vocabSize: number;
  layerNormEps: number;
  activation: Activation;
}

/** One entry of a tfjs weights manifest (tf.io.WeightsManifestEntry's fields that slipkit writes). */
export interface WebWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface WebModelConfig {
  format: 'slipkit-web-model/1';
  name: string;
  /** Training steps behind the weights. */
  step: number;
  embedDim: number;
  image: WebImageConfig;
  text: WebTextConfig;
  /** What evaluation applies to [0, 1] pixels: (x − mean) / std per channel. */
  normalize: { mean: number[]; std: number[] };
  /** Prompt templates ("{}" = class name) the zero-shot classifier averages, as the zero-shot evaluator does. */
  templates: string[];
  /** The zero-shot evaluator's class names, when the spec has one (the page starts with them). */
  classNames?: string[];
  /** exp(logit_scale): cosine similarities times this are the logits. */
  logitScale: number;
  /** The CLIP BPE vocabulary and merges file, and the context length. */
  tokenizer: { file: string; contextLength: number };
  /** tfjs's weights manifest: float32 tensors in slipkit's layout (linear weights [in, out]). */
  weightsManifest: Array<{ paths: string[]; weights: WebWeightSpec[] }>;
}

/** tokenizer.json: symbols by id and merges by rank ("first second"). */
export interface WebTokenizerData {
  vocab: string[];
  merges: string[];
}

import * as tf from '@tensorflow/tfjs';
import {
  buildEvalDataset,
  type ClassificationOptions,
  type CommonEvaluatorOptions,
  commonEvaluatorProperties,
  type Dataset,
  definePlugin,
  type EvalContext,
  type EvalModel,
  evalReadOptions,
  type Evaluator,
  l2Normalize,
  SpecError,
  topKProperties,
} from '../../core/toolkit';
import { zeroShotClassEmbeddings } from './maths/class-embeddings';
import { scoreClassifier } from './maths/score-classifier';
import { PROMPT_TEMPLATE_SET_NAMES, resolveTemplates, type TemplatesOption } from './prompt-templates';

export interface ZeroShotOptions extends CommonEvaluatorOptions, Omit<ClassificationOptions, 'numClasses'> {
  /** Class names by label; the dataset's when absent. */
  classNames?: string[];
  /** A template-set name or a list; else the dataset's prompt templates, else the generic set. */
  templates?: TemplatesOption;
}

/**
 * CLIP's zero-shot classification: each class is the renormalised mean of its
 * L2-normalised prompt embeddings; each image is assigned by cosine similarity.
 */
export class ZeroShotEvaluator implements Evaluator {
  constructor(
    private readonly options: ZeroShotOptions,
    private readonly dataset: Dataset,
    private readonly path: string,
  ) {}

  /** The class names and prompt templates this evaluator applies (what `slipkit export` gives the web page). */
  promptSetup(): { classNames?: readonly string[]; templates: readonly string[] } {
    return { classNames: this.options.classNames ?? this.dataset.classNames, templates: resolveTemplates(this.options.templates, this.dataset.promptTemplates) };
  }

  async evaluate(model: EvalModel, ctx: EvalContext): Promise<Record<string, number>> {
    if (!model.hasText) throw SpecError.at(this.path, 'zero-shot needs a model with a text tower (set model.text)');
    const classNames = this.options.classNames ?? this.dataset.classNames;
    if (!classNames || classNames.length === 0) {
      throw SpecError.at(`${this.path}.classNames`, 'is required: the dataset has no class names');
    }
    const templates = resolveTemplates(this.options.templates, this.dataset.promptTemplates);
    ctx.log.debug(`${classNames.length} classes x ${templates.length} templates ("${templates[0]}", ...)`);
    const classEmbeddings = zeroShotClassEmbeddings((texts) => model.textEmbedding(texts), classNames, templates, this.options.batchSize);
    try {
      const read = evalReadOptions(this.options, model.imageSize, this.options.limit, ctx);
      return await scoreClassifier(
        this.dataset,
        read,
        { ...this.options, numClasses: classNames.length },
        (images) => tf.matMul(l2Normalize(model.imageEmbedding(images)), classEmbeddings, false, true) as tf.Tensor2D,
      );
    } finally {
      classEmbeddings.dispose();
    }
  }
}

export default definePlugin<'evaluator', ZeroShotOptions>({
  kind: 'evaluator',
  name: 'zero-shot',
  description: 'Zero-shot classification with prompt-ensembled class embeddings (CLIP); reports top<k> accuracy.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['dataset'],
    properties: {
      ...commonEvaluatorProperties('Labelled dataset to classify.'),
      classNames: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        minItems: 1,
        description: 'Class names by label (default: the dataset\'s).',
      },
      templates: {
        description: `Prompt templates with "{}" for the class name: a shipped set (${PROMPT_TEMPLATE_SET_NAMES.join(', ')}) or a list (default: the dataset's, else "generic").`,
        oneOf: [
          { enum: [...PROMPT_TEMPLATE_SET_NAMES] },
          { type: 'array', items: { type: 'string', pattern: '\\{\\}' }, minItems: 1 },
        ],
      },
      ...topKProperties(),
    },
  },
  create: (options, ctx) => new ZeroShotEvaluator(options, buildEvalDataset(options, ctx), ctx.path),
});

import * as tf from '@tensorflow/tfjs';
import {
  buildEvalDataset,
  collectFeatures,
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
} from '../../core/toolkit';
import { recordFirstCaptions } from './common/first-captions';
import { pairedRetrievalRanks, recallAtK } from './maths/retrieval-ranks';

export interface RetrievalOptions extends CommonEvaluatorOptions {
  /** k values reported as recall@k. */
  recallAt: number[];
}

/** Embeds texts batch by batch into one L2-normalised [N, E] tensor. */
function embedTexts(model: EvalModel, texts: readonly string[], batchSize: number): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  try {
    for (let i = 0; i < texts.length; i += batchSize) {
      parts.push(tf.tidy(() => l2Normalize(model.textEmbedding(texts.slice(i, i + batchSize)))));
    }
    return tf.concat(parts, 0);
  } finally {
    tf.dispose(parts);
  }
}

/**
 * Image-text retrieval: every image is paired with its first caption; image→text and
 * text→image recall@k are the fractions of queries whose partner ranks in the top k by
 * cosine similarity among all candidates. Also reports `mean_recall`, the mean of all.
 */
export class RetrievalEvaluator implements Evaluator {
  constructor(
    private readonly options: RetrievalOptions,
    private readonly dataset: Dataset,
    private readonly path: string,
  ) {}

  async evaluate(model: EvalModel, ctx: EvalContext): Promise<Record<string, number>> {
    if (!model.hasText) throw SpecError.at(this.path, 'retrieval needs a model with a text tower (set model.text)');
    const recorded = recordFirstCaptions(this.dataset);
    const embedImages = (images: tf.Tensor4D) => l2Normalize(model.imageEmbedding(images));
    const images = await collectFeatures(recorded.dataset, embedImages, evalReadOptions(this.options, model.imageSize, this.options.limit, ctx));
    let texts: tf.Tensor2D | undefined;
    try {
      texts = embedTexts(model, images.keys.map((key) => recorded.firstCaption(key)), this.options.batchSize);
      const imageToText = await pairedRetrievalRanks(images.features, texts, this.options.batchSize);
      const textToImage = await pairedRetrievalRanks(texts, images.features, this.options.batchSize);
      const out: Record<string, number> = {};
      for (const k of this.options.recallAt) {
        out[`image_to_text_r${k}`] = recallAtK(imageToText, k);
        out[`text_to_image_r${k}`] = recallAtK(textToImage, k);
      }
      const values = Object.values(out);
      out.mean_recall = values.reduce((a, b) => a + b, 0) / values.length;
      ctx.log.debug(`retrieval over ${images.keys.length} image-caption pairs`);
      return out;
    } finally {
      tf.dispose([images.features, ...(texts ? [texts] : [])]);
    }
  }
}

export default definePlugin<'evaluator', RetrievalOptions>({
  kind: 'evaluator',
  name: 'retrieval',
  description: 'Image→text and text→image recall@k (first caption per image) on an image-text dataset.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['dataset'],
    properties: {
      ...commonEvaluatorProperties('Image-text dataset; each image is paired with its first caption.'),
      recallAt: {
        type: 'array',
        items: { type: 'integer', minimum: 1 },
        minItems: 1,
        uniqueItems: true,
        default: [1, 5, 10],
        description: 'Report image_to_text_r<k> and text_to_image_r<k> for each k.',
      },
    },
  },
  create: (options, ctx) => new RetrievalEvaluator(options, buildEvalDataset(options, ctx), ctx.path),
});

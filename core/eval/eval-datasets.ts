import type { Dataset } from '../contracts/dataset';
import type { PluginContext } from '../plugins/define';
import type { CommonEvaluatorOptions, TrainSplitOptions } from './options';

/** The datasets of an evaluator that fits on a training split and scores on another. */
export interface TrainSplitDatasets {
  /** The dataset scored (`<path>.dataset`). */
  dataset: Dataset;
  /** The dataset fitted on (`<path>.trainDataset`). */
  trainDataset: Dataset;
}

/** The evaluator's `dataset` block, built at `<path>.dataset`. */
export function buildEvalDataset(options: Pick<CommonEvaluatorOptions, 'dataset'>, ctx: PluginContext): Dataset {
  return ctx.build('dataset', options.dataset, `${ctx.path}.dataset`);
}

/** The evaluator's `dataset` and `trainDataset` blocks, built in that order at their spec paths. */
export function buildTrainSplitDatasets(options: Pick<CommonEvaluatorOptions, 'dataset'> & TrainSplitOptions, ctx: PluginContext): TrainSplitDatasets {
  return { dataset: buildEvalDataset(options, ctx), trainDataset: ctx.build('dataset', options.trainDataset, `${ctx.path}.trainDataset`) };
}

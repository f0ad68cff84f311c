import type { Dataset, Sample } from '../contracts/dataset';
import { Rng } from '../random';

/** Fills a prompt template's `{}` with a class name: "a photo of the number {}." -> "a photo of the number seven.". */
export function fillTemplate(template: string, className: string): string {
  return template.split('{}').join(className);
}

/**
 * The captions a sample may be shown with: its own, or else, for a labelled sample of a
 * dataset with class names and prompt templates, every template filled with its class name.
 */
export function captionCandidates(sample: Sample, dataset: Pick<Dataset, 'classNames' | 'promptTemplates'>): readonly string[] {
  if (sample.captions && sample.captions.length > 0) return sample.captions;
  const { classNames, promptTemplates } = dataset;
  const label = sample.label;
  if (label === undefined || label < 0 || !classNames || !promptTemplates || promptTemplates.length === 0) return [];
  const name = classNames[label];
  return name === undefined ? [] : promptTemplates.map((t) => fillTemplate(t, name));
}

/**
 * One caption per sample and epoch, drawn from a stream that depends only on (seed, epoch,
 * key): the same on a resumed run and independent of batch composition or worker timing.
 */
export function chooseCaption(candidates: readonly string[], seed: number, epoch: number, key: string): string {
  if (candidates.length === 0) return '';
  if (candidates.length === 1) return candidates[0];
  return candidates[Rng.derive(seed, `caption:${epoch}:${key}`).int(candidates.length)];
}

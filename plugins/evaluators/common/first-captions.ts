import { DataError, type Dataset } from '../../../core/toolkit';

/**
 * Wraps a dataset to remember each sample's first caption by key as samples stream past
 * (the loader picks a seeded caption per epoch; retrieval protocols pair each image with
 * its first). No extra pass over the data is needed.
 */
export function recordFirstCaptions(dataset: Dataset): { dataset: Dataset; firstCaption(key: string): string } {
  const captions = new Map<string, string>();
  const wrapped: Dataset = {
    get classNames() {
      return dataset.classNames;
    },
    get promptTemplates() {
      return dataset.promptTemplates;
    },
    size: () => dataset.size(),
    async *samples(options) {
      for await (const sample of dataset.samples(options)) {
        const first = sample.captions?.[0];
        if (first !== undefined && !captions.has(sample.key)) captions.set(sample.key, first);
        yield sample;
      }
    },
  };
  return {
    dataset: wrapped,
    firstCaption(key) {
      const caption = captions.get(key);
      if (caption === undefined) throw new DataError(`sample "${key}" has no caption (retrieval needs an image-text dataset)`);
      return caption;
    },
  };
}

/** An image as a dataset hands it over: encoded bytes (decoded by the loader's workers) or raw pixels. */
export type ImageSource =
  | { kind: 'encoded'; bytes: Uint8Array; origin: string }
  | { kind: 'pixels'; pixels: Uint8Array; width: number; height: number; channels: 1 | 3; origin: string };

/** One record. `origin` (inside `image`) names the file, line or shard member it came from. */
export interface Sample {
  key: string;
  image: ImageSource;
  /** Candidate captions; the loader picks one per epoch (seeded), as SLIP does with YFCC titles/descriptions. */
  captions?: string[];
  label?: number;
  /**
   * Set when the dataset could not supply this sample as stored (its image is missing or
   * unreadable, its path leaves the image root, its caption bytes are not UTF-8, its tar member
   * is cut short): the loader skips it and counts it as a bad sample under
   * data.maxFailureFraction, as it does an image that does not decode. Says what is wrong.
   */
  problem?: string;
}

export interface SampleOptions {
  seed: number;
  epoch: number;
  shuffle: boolean;
}

/**
 * dataset kind. `samples` is deterministic for a given (seed, epoch, shuffle): a resumed
 * run replays the epoch and skips what it has already consumed.
 */
export interface Dataset {
  /** Class names, indexed by label, for classification datasets. */
  readonly classNames?: readonly string[];
  /**
   * Caption templates with a `{}` for the class name ("a photo of the number {}."): how a
   * classification dataset captions its images for image-text training, and the default
   * zero-shot prompts for it.
   */
  readonly promptTemplates?: readonly string[];
  /** Number of samples when known without a full pass. */
  size(): Promise<number | undefined>;
  samples(options: SampleOptions): AsyncIterable<Sample>;
}

import * as path from 'node:path';
import type { Dataset, Sample, SampleOptions } from '../../core/contracts/dataset';
import { DataError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { expandBraces } from '../../core/data/braces';
import { bufferShuffle } from '../../core/data/order';
import { withDefaults } from '../../core/plugins/options';
import { readShard, type ShardGroup } from '../../core/data/tar-shards';
import { definePlugin } from '../../core/plugins/define';
import { Rng } from '../../core/random';
import type { JsonSchema } from '../../core/spec/json-schema';

export interface WebDatasetOptions {
  shards: string | string[];
  imageExtensions: string[];
  captionExtension: string;
  captionField: string;
  labelExtension?: string;
  shuffleBuffer: number;
  onShardError: 'stop' | 'skip';
  classNames?: string[];
  promptTemplates?: string[];
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['shards'],
  properties: {
    shards: {
      description: 'Tar shard path(s), relative to the spec, with brace patterns: "shards/{00000..00127}.tar".',
      oneOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }],
    },
    imageExtensions: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      default: ['jpg', 'jpeg', 'png', 'webp'],
      description: 'Member extensions holding the image, in order of preference.',
    },
    captionExtension: { enum: ['txt', 'json'], default: 'txt', description: 'Member holding the caption: txt (the text) or json (a field of it).' },
    captionField: { type: 'string', minLength: 1, default: 'caption', description: 'With json captions: the field (a string or a list of strings).' },
    labelExtension: { type: 'string', minLength: 1, description: 'Member holding an integer class label, e.g. "cls".' },
    shuffleBuffer: { type: 'integer', minimum: 1, default: 1000, description: 'Samples held in the shuffle buffer (when shuffling).' },
    onShardError: { enum: ['stop', 'skip'], default: 'stop', description: 'A corrupt shard stops the run, or is logged and skipped.' },
    classNames: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, description: 'Class names by label.' },
    promptTemplates: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, description: 'Templates with {} for captioning labelled samples without a caption.' },
  },
};

/**
 * WebDataset tar shards: members key.jpg|png|webp + key.txt|json (+ key.cls), streamed
 * with tar-stream. When shuffling, the shard order is permuted per epoch and samples pass
 * through a shuffle buffer, both seeded, so an epoch's order is reproducible.
 */
export class WebDataset implements Dataset {
  readonly classNames?: readonly string[];
  readonly promptTemplates?: readonly string[];
  private readonly shards: string[];
  private readonly options: WebDatasetOptions;

  constructor(
    options: Partial<WebDatasetOptions> & { shards: string | string[] },
    baseDir: string,
    private readonly log: Logger,
  ) {
    this.options = withDefaults(schema, options);
    const patterns = typeof this.options.shards === 'string' ? [this.options.shards] : this.options.shards;
    this.shards = patterns.flatMap((p) => expandBraces(p)).map((p) => path.resolve(baseDir, p));
    if (this.shards.length === 0) throw new DataError(`no shards in ${JSON.stringify(this.options.shards)}`);
    this.classNames = this.options.classNames;
    this.promptTemplates = this.options.promptTemplates;
  }

  /** The shard files, brace patterns expanded. */
  shardFiles(): readonly string[] {
    return this.shards;
  }

  async size(): Promise<undefined> {
    return undefined; // unknown without reading every shard
  }

  samples(options: SampleOptions): AsyncIterable<Sample> {
    const stream = this.stream(options);
    if (!options.shuffle) return stream;
    return bufferShuffle(stream, this.options.shuffleBuffer, Rng.derive(options.seed, `webdataset-buffer:${options.epoch}`));
  }

  private async *stream(options: SampleOptions): AsyncGenerator<Sample> {
    const shards = [...this.shards];
    if (options.shuffle) Rng.derive(options.seed, `webdataset-shards:${options.epoch}`).shuffle(shards);
    for (const shard of shards) {
      try {
        for await (const group of readShard(shard)) {
          const sample = this.toSample(group, shard);
          if (sample) yield sample;
        }
      } catch (err) {
        if (this.options.onShardError === 'stop' || !(err instanceof DataError)) throw err;
        this.log.warn(`skipping the rest of a shard: ${err.message}`);
      }
    }
  }

  private toSample(group: ShardGroup, shard: string): Sample | undefined {
    const where = `${shard}:${group.key}`;
    const ext = this.options.imageExtensions.find((e) => group.files.has(e));
    if (!ext) {
      this.log.warn(`${where}: no image member (${this.options.imageExtensions.join(', ')}); sample skipped`);
      return undefined;
    }
    const sample: Sample = {
      key: path.basename(shard) + '/' + group.key,
      image: { kind: 'encoded', bytes: group.files.get(ext)!, origin: `${shard} (${group.key}.${ext})` },
      captions: this.captions(group, shard),
    };
    const labelExt = this.options.labelExtension;
    if (labelExt && group.files.has(labelExt)) {
      const text = group.files.get(labelExt)!.toString('utf8').trim();
      const label = Number(text);
      if (!Number.isInteger(label) || label < 0 || text === '') throw new DataError(`label "${text}" is not a non-negative integer`, shard, `${group.key}.${labelExt}`);
      sample.label = label;
    }
    return sample;
  }

  private captions(group: ShardGroup, shard: string): string[] {
    const ext = this.options.captionExtension;
    const raw = group.files.get(ext);
    if (!raw) return [];
    const text = raw.toString('utf8');
    if (ext === 'txt') return text.trim() ? [text.trim()] : [];
    let value: unknown;
    try {
      value = (JSON.parse(text) as Record<string, unknown>)[this.options.captionField];
    } catch (err) {
      throw new DataError(`invalid JSON: ${(err as Error).message}`, shard, `${group.key}.json`);
    }
    const list = Array.isArray(value) ? value : [value];
    return list.filter((c): c is string => typeof c === 'string' && c.trim() !== '').map((c) => c.trim());
  }
}

export default definePlugin<'dataset', Partial<WebDatasetOptions> & { shards: string | string[] }>({
  kind: 'dataset',
  name: 'webdataset',
  description: 'WebDataset tar shards (key.jpg + key.txt/json), streamed, shuffled across shards and in a buffer.',
  schema,
  create: (options, ctx) => new WebDataset(options, ctx.baseDir, ctx.log),
});

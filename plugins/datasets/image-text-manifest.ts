import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset, Sample, SampleOptions } from '../../core/contracts/dataset';
import { DataError } from '../../core/errors';
import { indexedSamples } from '../../core/data/indexed';
import { readManifest, type ManifestEntry, type ManifestFormat } from '../../core/data/manifest';
import { withDefaults } from '../../core/plugins/options';
import { definePlugin } from '../../core/plugins/define';
import type { JsonSchema } from '../../core/spec/json-schema';

export interface ImageTextManifestOptions {
  path: string;
  format: ManifestFormat | 'auto';
  imageRoot?: string;
  imageColumn: string;
  captionColumn: string | string[];
  captionSeparator?: string;
  labelColumn?: string;
  header: boolean;
  classNames?: string[];
  promptTemplates?: string[];
}

const stringList: JsonSchema = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 };

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: { type: 'string', minLength: 1, description: 'Manifest file (CSV, TSV or JSONL), relative to the spec.' },
    format: { enum: ['auto', 'csv', 'tsv', 'jsonl'], default: 'auto', description: 'auto: from the extension (.csv, .tsv, .jsonl).' },
    imageRoot: { type: 'string', minLength: 1, description: 'Folder the image paths are relative to (default: the manifest folder); paths cannot leave it.' },
    imageColumn: { type: 'string', minLength: 1, default: 'filepath', description: 'Column (or JSONL key) with the image path (open_clip: filepath).' },
    captionColumn: {
      default: 'title',
      description: 'Caption column(s) (open_clip: title). Several columns, a JSON array cell or a separator give several captions; one is drawn per epoch.',
      oneOf: [{ type: 'string', minLength: 1 }, stringList],
    },
    captionSeparator: { type: 'string', minLength: 1, description: 'Splits one caption cell into several captions, e.g. "||".' },
    labelColumn: { type: 'string', minLength: 1, description: 'Optional column with an integer class label.' },
    header: { type: 'boolean', default: true, description: 'CSV/TSV: the first row names the columns; false: columns are "0", "1", …' },
    classNames: { ...stringList, description: 'Class names by label (with labelColumn).' },
    promptTemplates: { ...stringList, description: 'Templates with {} for captioning labelled rows without a caption.' },
  },
};

/**
 * Image-caption pairs listed in a CSV, TSV or JSONL manifest: the layout CC3M/CC12M users
 * and open_clip's CsvDataset use. The manifest is read and checked when the dataset is
 * built; images are read when iterated.
 */
export class ImageTextManifest implements Dataset {
  readonly classNames?: readonly string[];
  readonly promptTemplates?: readonly string[];
  private readonly entries: ManifestEntry[];
  private readonly keys: string[];
  private readonly file: string;

  constructor(options: Partial<ImageTextManifestOptions> & { path: string }, baseDir: string) {
    const o = withDefaults<ImageTextManifestOptions>(schema, options);
    this.file = path.resolve(baseDir, o.path);
    const imageRoot = o.imageRoot ? path.resolve(baseDir, o.imageRoot) : path.dirname(this.file);
    if (!fs.existsSync(imageRoot) || !fs.statSync(imageRoot).isDirectory()) {
      throw new DataError(`image root is not a folder: ${imageRoot}`, this.file);
    }
    this.entries = readManifest(this.file, {
      format: o.format,
      imageRoot,
      header: o.header,
      captionSeparator: o.captionSeparator,
      columns: {
        image: o.imageColumn,
        captions: typeof o.captionColumn === 'string' ? [o.captionColumn] : o.captionColumn,
        label: o.labelColumn,
      },
    });
    this.keys = uniqueKeys(this.entries.map((e) => e.relative));
    this.classNames = o.classNames;
    this.promptTemplates = o.promptTemplates;
  }

  async size(): Promise<number> {
    return this.entries.length;
  }

  samples(options: SampleOptions): AsyncIterable<Sample> {
    return indexedSamples(this.entries.length, options, (i) => this.load(i));
  }

  private async load(index: number): Promise<Sample> {
    const entry = this.entries[index];
    const where = `line ${entry.line}`;
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(entry.absolute);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const what = code === 'ENOENT' ? 'image not found' : `cannot read image (${code ?? (err as Error).message})`;
      throw new DataError(`${what}: ${entry.absolute}`, this.file, where);
    }
    return {
      key: this.keys[index],
      image: { kind: 'encoded', bytes, origin: `${this.file}:${entry.line} (${entry.relative})` },
      captions: entry.captions,
      label: entry.label,
    };
  }
}

/** Keys that stay unique when a manifest lists the same image twice (with other captions). */
function uniqueKeys(paths: string[]): string[] {
  const seen = new Map<string, number>();
  return paths.map((p) => {
    const n = seen.get(p) ?? 0;
    seen.set(p, n + 1);
    return n === 0 ? p : `${p}#${n}`;
  });
}

export default definePlugin<'dataset', Partial<ImageTextManifestOptions> & { path: string }>({
  kind: 'dataset',
  name: 'image-text-manifest',
  description: 'Image-caption pairs from a CSV, TSV or JSONL manifest with paths relative to an image root.',
  schema,
  create: (options, ctx) => new ImageTextManifest(options, ctx.baseDir),
});

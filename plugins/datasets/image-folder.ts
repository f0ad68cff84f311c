import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset, Sample, SampleOptions } from '../../core/contracts/dataset';
import { DataError } from '../../core/errors';
import { indexedSamples } from '../../core/data/indexed';
import { withDefaults } from '../../core/plugins/options';
import { definePlugin } from '../../core/plugins/define';
import type { JsonSchema } from '../../core/spec/json-schema';

export interface ImageFolderOptions {
  root: string;
  extensions: string[];
  classes?: string[];
  humanizeClassNames: boolean;
  promptTemplates: string[];
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['root'],
  properties: {
    root: { type: 'string', minLength: 1, description: 'Folder with one subfolder per class, relative to the spec.' },
    extensions: {
      type: 'array',
      items: { type: 'string', pattern: '^\\.[A-Za-z0-9]+$' },
      minItems: 1,
      default: ['.jpg', '.jpeg', '.png', '.webp'],
      description: 'Image file extensions to include (case-insensitive).',
    },
    classes: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      description: 'Class subfolders in label order (default: every subfolder, sorted).',
    },
    humanizeClassNames: { type: 'boolean', default: true, description: 'Class names with _ and - turned into spaces ("golden_retriever" -> "golden retriever").' },
    promptTemplates: {
      type: 'array',
      items: { type: 'string', pattern: '\\{\\}' },
      minItems: 1,
      default: ['a photo of a {}.'],
      description: 'Caption templates with {} for the class name.',
    },
  },
};

interface FolderEntry {
  file: string;
  relative: string;
  label: number;
}

/**
 * A classification folder (torchvision ImageFolder layout): root/<class>/**.<ext>,
 * classes in sorted order unless listed. For evaluation and finetuning; captions come
 * from the class names through the prompt templates.
 */
export class ImageFolder implements Dataset {
  readonly classNames: readonly string[];
  readonly promptTemplates: readonly string[];
  private readonly entries: FolderEntry[];

  constructor(options: Partial<ImageFolderOptions> & { root: string }, baseDir: string) {
    const o = withDefaults<ImageFolderOptions>(schema, options);
    const root = path.resolve(baseDir, o.root);
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new DataError('image folder not found', root);
    const folders = o.classes ?? listDirs(root);
    if (folders.length === 0) throw new DataError('no class subfolders', root);
    const extensions = new Set(o.extensions.map((e) => e.toLowerCase()));
    this.entries = [];
    folders.forEach((folder, label) => {
      const dir = path.join(root, folder);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new DataError(`class folder "${folder}" not found`, root);
      for (const file of listFiles(dir)) {
        if (extensions.has(path.extname(file).toLowerCase())) this.entries.push({ file, relative: path.relative(root, file), label });
      }
    });
    if (this.entries.length === 0) throw new DataError(`no images with extensions ${[...extensions].join(', ')}`, root);
    this.classNames = folders.map((f) => (o.humanizeClassNames ? f.replace(/[_-]+/g, ' ').trim() : f));
    this.promptTemplates = o.promptTemplates;
  }

  async size(): Promise<number> {
    return this.entries.length;
  }

  samples(options: SampleOptions): AsyncIterable<Sample> {
    return indexedSamples(this.entries.length, options, async (i) => {
      const entry = this.entries[i];
      let bytes: Buffer;
      try {
        bytes = await fs.promises.readFile(entry.file);
      } catch (err) {
        throw new DataError(`cannot read image: ${(err as Error).message}`, entry.file);
      }
      return { key: entry.relative, image: { kind: 'encoded', bytes, origin: entry.file }, label: entry.label };
    });
  }
}

const visible = (name: string): boolean => !name.startsWith('.');
const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function listDirs(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && visible(d.name))
    .map((d) => d.name)
    .sort(byCodePoint);
}

/** Every file under dir, recursively, in a stable (code point) order. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => byCodePoint(a.name, b.name))) {
    if (!visible(d.name)) continue;
    const full = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...listFiles(full));
    else if (d.isFile()) out.push(full);
  }
  return out;
}

export default definePlugin<'dataset', Partial<ImageFolderOptions> & { root: string }>({
  kind: 'dataset',
  name: 'image-folder',
  description: 'One subfolder per class (ImageFolder layout), for evaluation and finetuning.',
  schema,
  create: (options, ctx) => new ImageFolder(options, ctx.baseDir),
});

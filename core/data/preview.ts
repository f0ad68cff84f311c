import * as tf from '@tensorflow/tfjs';
import sharp, { type OverlayOptions } from 'sharp';
import type { Augmentation } from '../contracts/augmentation';
import type { Dataset } from '../contracts/dataset';
import type { Logger } from '../logger';
import { Rng } from '../random';
import { DataLoader } from './loader';
import { keptPatchCount, patchKeepIndices } from '../nn/patch-mask';
import { applyView, viewImageSize, viewPatchMaskRatio, type ViewPipeline } from './views';

export interface PreviewOptions {
  samples: number;
  imageSize: number;
  /** The image encoder's patch side, to grey out the patches a masked view drops; without it they are not drawn. */
  patchSize?: number;
  loadSize: number;
  workers: number;
  seed: number;
  log: Logger;
}

export interface PreviewColumn {
  title: string;
  /** uint8 RGB pixels of each sample, side x side. */
  images: Uint8Array[];
  side: number;
  /** Drawn at this fraction of the cell (default 1): a multi-crop local crop shows smaller than the global ones. */
  relativeSize?: number;
}

export interface PreviewGrid {
  columns: PreviewColumn[];
  captions: string[];
  keys: string[];
}

/** An augmentation that can undo itself for display (normalize). */
interface Invertible extends Augmentation {
  invert(images: tf.Tensor4D): tf.Tensor4D;
}

const isInvertible = (a: Augmentation): a is Invertible => typeof (a as Partial<Invertible>).invert === 'function';

/** One column of the preview: a view instance ("ssl#1") and its pipeline. */
export interface ViewColumn {
  title: string;
  pipeline: ViewPipeline;
}

/**
 * The view instances a step computes, in order: each objective's views, a view named twice
 * by one objective being two instances (SimCLR's ssl#0 and ssl#1), instances shared across
 * objectives as the engine shares them; then any view no objective uses, once.
 */
export function viewColumns(views: Record<string, ViewPipeline>, objectiveViews: ReadonlyArray<readonly string[]>): ViewColumn[] {
  const titles: string[] = [];
  for (const names of objectiveViews) {
    const seen = new Map<string, number>();
    for (const name of names) {
      const k = seen.get(name) ?? 0;
      seen.set(name, k + 1);
      const title = `${name}#${k}`;
      if (views[name] && !titles.includes(title)) titles.push(title);
    }
  }
  for (const name of Object.keys(views)) if (!titles.some((t) => t.startsWith(`${name}#`))) titles.push(`${name}#0`);
  return titles.map((title) => ({ title, pipeline: views[title.slice(0, title.lastIndexOf('#'))] }));
}

/**
 * What the model sees: N samples of the dataset (shuffled with the run's seed, as the
 * first training batches are), each decoded at loadSize and put through every view
 * column with its own random stream. Trailing invertible steps (normalize) are undone so
 * the views display as pixels.
 */
export async function previewViews(dataset: Dataset, views: readonly ViewColumn[], options: PreviewOptions): Promise<PreviewGrid> {
  const loader = new DataLoader(dataset, {
    batchSize: options.samples,
    loadSize: options.loadSize,
    workers: options.workers,
    prefetchBatches: 1,
    seed: options.seed,
    shuffle: true,
    repeat: false,
    maxFailureFraction: 1,
    log: options.log,
  });
  const batch = await loader.next().finally(() => loader.close());
  if (!batch) return { columns: [], captions: [], keys: [] };
  try {
    const columns: PreviewColumn[] = [{ title: 'original', images: await toUint8(batch.images), side: options.loadSize }];
    const largest = Math.max(...views.map((v) => viewImageSize(v.pipeline, options.imageSize)));
    for (const { title, pipeline } of views) {
      const side = viewImageSize(pipeline, options.imageSize);
      const ratio = viewPatchMaskRatio(pipeline);
      const masked = ratio !== undefined && options.patchSize !== undefined;
      const shown = tf.tidy(() => {
        let x = applyView(batch.images, pipeline, Rng.derive(options.seed, `preview:${title}`), options.imageSize);
        for (let i = pipeline.length - 1; i >= 0 && isInvertible(pipeline[i]); i--) x = (pipeline[i] as Invertible).invert(x);
        return masked ? greyOutDroppedPatches(x, options.patchSize!, { ratio, seed: options.seed }) : x;
      });
      const label = [side !== options.imageSize ? `${side} px` : '', ratio !== undefined ? `mask ${ratio}` : ''].filter(Boolean).join(', ');
      columns.push({ title: label ? `${title} (${label})` : title, images: await toUint8(shown), side, relativeSize: side / largest });
      shown.dispose();
    }
    return { columns, captions: batch.captions, keys: batch.keys };
  } finally {
    batch.images.dispose();
  }
}

/** The patches a masked view's encoder would drop, painted mid-grey (the kept ones as they are). */
function greyOutDroppedPatches(images: tf.Tensor4D, patchSize: number, mask: { ratio: number; seed: number }): tf.Tensor4D {
  const [n, side] = images.shape;
  const grid = Math.floor(side / patchSize);
  if (grid < 1 || keptPatchCount(grid * grid, mask.ratio) < 1) return images;
  const keep = patchKeepIndices(n, grid * grid, mask);
  const kept = keep.length / n;
  const visible = new Float32Array(n * side * side);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < kept; r++) {
      const p = keep[b * kept + r];
      const [py, px] = [Math.floor(p / grid) * patchSize, (p % grid) * patchSize];
      for (let y = py; y < py + patchSize; y++) visible.fill(1, b * side * side + y * side + px, b * side * side + y * side + px + patchSize);
    }
  }
  const m = tf.tensor4d(visible, [n, side, side, 1]);
  return tf.add(tf.mul(images, m), tf.mul(tf.sub(1, m), 0.5)) as tf.Tensor4D;
}

async function toUint8(images: tf.Tensor4D): Promise<Uint8Array[]> {
  const [n, h, w] = images.shape;
  const scaled = tf.tidy(() => images.clipByValue(0, 1).mul(255).round().cast('int32'));
  const data = await scaled.data();
  scaled.dispose();
  const per = h * w * 3;
  return Array.from({ length: n }, (_, i) => Uint8Array.from(data.subarray(i * per, (i + 1) * per)));
}

const CELL_MIN = 96;
const GAP = 6;
const HEADER = 22;
const CAPTION_LINES = 2;
const LINE = 15;
const CAPTION = CAPTION_LINES * LINE + 4;
/** Average advance of the 12 px caption font, to wrap text to the grid width. */
const CHAR_PX = 6.8;
const FONT = 'DejaVu Sans, Arial, sans-serif';

/** Greedy word wrap to at most `lines` lines of `width` characters, the last one ellipsised. */
export function wrap(text: string, width: number, lines: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = current ? `${current} ${word}` : word;
    if (next.length <= width || !current) current = next;
    else {
      out.push(current);
      current = word;
    }
  }
  if (current) out.push(current);
  if (out.length <= lines) return out.map((l) => (l.length > width ? l.slice(0, width - 1) + '…' : l));
  const kept = out.slice(0, lines);
  const last = kept[lines - 1];
  kept[lines - 1] = (last.length > width - 1 ? last.slice(0, width - 1) : last) + '…';
  return kept;
}

const escapeXml = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Lays a preview out as a PNG: a header row with column titles, then one row per sample
 * (its original and every view, upscaled with nearest-neighbour so small images stay
 * readable) with its caption underneath. Text is drawn from SVG by sharp.
 */
export async function renderPreviewPng(grid: PreviewGrid): Promise<Buffer> {
  const cell = Math.max(CELL_MIN, ...grid.columns.map((c) => c.side));
  const width = GAP + grid.columns.length * (cell + GAP);
  const rowHeight = cell + CAPTION + GAP;
  const height = HEADER + grid.captions.length * rowHeight + GAP;
  const maxChars = Math.max(8, Math.floor((width - 2 * GAP) / CHAR_PX));
  const text: string[] = grid.columns.map(
    (c, j) => `<text x="${GAP + j * (cell + GAP) + cell / 2}" y="${HEADER - 7}" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(c.title)}</text>`,
  );
  const layers: OverlayOptions[] = [];
  for (let i = 0; i < grid.captions.length; i++) {
    const top = HEADER + i * rowHeight;
    for (let j = 0; j < grid.columns.length; j++) {
      const column = grid.columns[j];
      const drawn = Math.max(1, Math.round(cell * (column.relativeSize ?? 1)));
      const input = await sharp(column.images[i], { raw: { width: column.side, height: column.side, channels: 3 } })
        .resize(drawn, drawn, { kernel: 'nearest' })
        .png()
        .toBuffer();
      const inset = Math.floor((cell - drawn) / 2);
      layers.push({ input, left: GAP + j * (cell + GAP) + inset, top: top + inset });
    }
    const caption = `${grid.captions[i] || '(no caption)'}  [${grid.keys[i]}]`;
    wrap(caption, maxChars, CAPTION_LINES).forEach((line, k) => {
      text.push(`<text x="${GAP}" y="${top + cell + LINE * (k + 1)}" font-size="12">${escapeXml(line)}</text>`);
    });
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g font-family="${FONT}" fill="#222">${text.join('')}</g></svg>`;
  layers.push({ input: Buffer.from(svg), left: 0, top: 0 });
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(layers)
    .png()
    .toBuffer();
}

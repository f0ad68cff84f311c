/**
 * Data pipeline throughput: images per second delivered by the DataLoader with SLIP's
 * three views each (clip + ssl + ssl from experiments/views/slip.json), decoded from JPEG
 * files, at 64 px and 224 px model input, with 1 and 2 decoding workers. "decode" is the
 * loader alone (read + decode + resize in workers + tensor), "3 views" adds the batched
 * augmentations on the chosen backend, as a training step would consume them.
 *
 *   npm run build && node dist/bench/data-pipeline.js [--backend auto] [--images 256] [--batch 64]
 *       [--sizes 64,224] [--workers 1,2] [--passes 2] [--step-img-per-s N [--step-size 64]]
 *
 * The JPEGs are written once into a temporary folder: 400x300 photographs-like images
 * (smooth colour fields, shapes and sensor-like noise, quality 90, about 40 KB), roughly
 * ImageNet's typical size. Each figure is the best of --passes full passes over the files
 * (on a shared machine the best pass is the least disturbed one). --step-img-per-s takes
 * the training step's img/s at --step-size px (from bench/slip-step.ts) and prints how many
 * times over the pipeline feeds it at that size.
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { container } from 'tsyringe';
import { selectBackend, type BackendRequest } from '../core/backend';
import { DataLoader, loadSizeFor } from '../core/data/loader';
import { buildViews, applyView, type ViewPipeline } from '../core/data/views';
import { Logger } from '../core/logger';
import { PluginBuilder } from '../core/plugins/builder';
import type { PluginBlock } from '../core/plugins/define';
import { PluginRegistry } from '../core/plugins/registry';
import { Rng } from '../core/random';
import { readJsonFile } from '../core/spec/load';
import { ImageTextManifest } from '../plugins/datasets/image-text-manifest';
import { builtinPlugins } from '../plugins/index';

/** The repository (this file runs as dist/bench/data-pipeline.js); SLIPKIT_ROOT overrides it. */
const REPO_ROOT = process.env.SLIPKIT_ROOT ?? path.resolve(__dirname, '..', '..');

interface Options {
  backend: BackendRequest;
  images: number;
  batch: number;
  sizes: number[];
  workers: number[];
  passes: number;
  stepImgPerS?: number;
  stepSize: number;
}

function parseArgs(argv: string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (name: string, fallback: string): number[] => (value(name) ?? fallback).split(',').map(Number);
  const o: Options = {
    backend: (value('backend') ?? 'auto') as BackendRequest,
    images: Number(value('images') ?? 256),
    batch: Number(value('batch') ?? 64),
    sizes: list('sizes', '64,224'),
    workers: list('workers', '1,2'),
    passes: Number(value('passes') ?? 2),
    stepImgPerS: value('step-img-per-s') !== undefined ? Number(value('step-img-per-s')) : undefined,
    stepSize: Number(value('step-size') ?? 64),
  };
  const bad = [o.images, o.batch, o.passes, o.stepSize, ...o.sizes].some((n) => !Number.isInteger(n) || n <= 0) || o.workers.some((n) => !Number.isInteger(n) || n < 0);
  if (bad) throw new Error('usage: node dist/bench/data-pipeline.js [--backend auto] [--images 256] [--batch 64] [--sizes 64,224] [--workers 1,2] [--passes 2] [--step-img-per-s N [--step-size 64]]');
  return o;
}

/** Sensor-like gaussian noise (sigma 6 levels), shared by all images at random offsets. */
const GRAIN = (() => {
  const rng = new Rng(12345);
  return Int8Array.from({ length: 2 * 400 * 300 * 3 }, () => Math.round(rng.normal() * 6));
})();

/** A photo-like JPEG: a smooth colour field (upscaled coarse noise), a few shapes, fine noise. */
async function photoLike(i: number): Promise<Buffer> {
  const rng = new Rng(i);
  const coarse = Buffer.from(Array.from({ length: 8 * 6 * 3 }, () => rng.int(256)));
  const field = await sharp(coarse, { raw: { width: 8, height: 6, channels: 3 } }).resize(400, 300, { kernel: 'cubic' }).raw().toBuffer();
  const shapes = Array.from({ length: 3 }, () => {
    const [x, y, r] = [rng.int(400), rng.int(300), 20 + rng.int(60)];
    const fill = `rgb(${rng.int(256)},${rng.int(256)},${rng.int(256)})`;
    return rng.bernoulli(0.5) ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${fill}"/>` : `<rect x="${x - r}" y="${y - r}" width="${2 * r}" height="${1.5 * r}" fill="${fill}"/>`;
  });
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300">${shapes.join('')}</svg>`);
  const withShapes = await sharp(field, { raw: { width: 400, height: 300, channels: 3 } }).composite([{ input: svg }]).raw().toBuffer();
  const offset = rng.int(GRAIN.length - withShapes.length);
  for (let k = 0; k < withShapes.length; k++) withShapes[k] = Math.max(0, Math.min(255, withShapes[k] + GRAIN[offset + k]));
  return sharp(withShapes, { raw: { width: 400, height: 300, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

async function writeImages(dir: string, count: number): Promise<number> {
  let bytes = 0;
  const rows = ['filepath\ttitle'];
  for (let i = 0; i < count; i++) {
    const jpeg = await photoLike(i);
    bytes += jpeg.length;
    fs.writeFileSync(path.join(dir, `${String(i).padStart(5, '0')}.jpg`), jpeg);
    rows.push(`${String(i).padStart(5, '0')}.jpg\ta photo number ${i}`);
  }
  fs.writeFileSync(path.join(dir, 'train.tsv'), rows.join('\n') + '\n');
  return bytes / count;
}

function slipViews(imageSize: number, log: Logger): ViewPipeline[] {
  const registry = new PluginRegistry();
  registry.registerAll(builtinPlugins, 'builtin');
  const fragment = readJsonFile(path.join(REPO_ROOT, 'experiments', 'views', 'slip.json'));
  const builder = new PluginBuilder({ registry, container: container.createChildContainer(), log, seed: 0, baseDir: '.', settings: { imageSize, embedDim: 8 } });
  const views = buildViews(fragment.views as Record<string, PluginBlock[]>, builder);
  return [views.clip, views.ssl, views.ssl];
}

/** Images per second: the best of `passes` full passes over the folder, after one warm-up batch. */
async function measure(dir: string, o: Options, size: number, workers: number, views: ViewPipeline[] | undefined, log: Logger): Promise<number> {
  const dataset = new ImageTextManifest({ path: 'train.tsv' }, dir);
  const loader = new DataLoader(dataset, {
    batchSize: o.batch,
    loadSize: loadSizeFor({ imageSize: size }),
    workers,
    prefetchBatches: 2,
    seed: 0,
    shuffle: true,
    repeat: true,
    maxFailureFraction: 0,
    log,
  });
  const rng = new Rng(1);
  const consume = async (): Promise<number> => {
    const batch = (await loader.next())!;
    if (views) {
      const out = views.map((v) => applyView(batch.images, v, rng, size));
      await out[out.length - 1].data(); // make sure asynchronous backends have finished
      tf.dispose(out);
    }
    batch.images.dispose();
    return batch.keys.length;
  };
  await consume();
  let best = 0;
  const batches = Math.max(1, Math.floor(o.images / o.batch));
  for (let pass = 0; pass < o.passes; pass++) {
    const start = performance.now();
    let images = 0;
    for (let b = 0; b < batches; b++) images += await consume();
    best = Math.max(best, images / ((performance.now() - start) / 1000));
  }
  await loader.close();
  return best;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const log = new Logger('warn');
  const backend = await selectBackend(o.backend, log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipkit-bench-data-'));
  try {
    const meanBytes = await writeImages(dir, o.images);
    const out = process.stdout;
    out.write(`data pipeline: ${o.images} JPEGs 400x300 (mean ${(meanBytes / 1024).toFixed(0)} KB), batch ${o.batch}, backend ${backend.name}, ${os.cpus().length} CPUs\n`);
    out.write('views: SLIP clip + ssl + ssl (experiments/views/slip.json); decode: loader alone\n\n');
    const header = ['output px', 'load px', 'workers', 'decode img/s', '3 views img/s'];
    if (o.stepImgPerS) header.push(`x step (${o.stepImgPerS} img/s at ${o.stepSize} px)`);
    const rows: string[][] = [];
    for (const size of o.sizes) {
      const views = slipViews(size, log);
      for (const workers of o.workers) {
        const decode = await measure(dir, o, size, workers, undefined, log);
        const full = await measure(dir, o, size, workers, views, log);
        const row = [String(size), String(loadSizeFor({ imageSize: size })), String(workers), decode.toFixed(0), full.toFixed(0)];
        if (o.stepImgPerS) row.push(size === o.stepSize ? `${(full / o.stepImgPerS).toFixed(1)}x` : '-');
        rows.push(row);
      }
    }
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ') + '\n';
    out.write(line(header));
    for (const r of rows) out.write(line(r));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});

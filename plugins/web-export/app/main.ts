import * as tf from '@tensorflow/tfjs';
import { selectBackend } from './backend';
import type { WebModelConfig, WebTokenizerData } from './model-config';
import { classEmbeddings, l2Normalize, WebClipModel } from './model';
import { WebClipTokenizer } from './tokenizer';

/** One dropped or picked image: its preview and its normalised pixels at the model's size. */
interface PageImage {
  name: string;
  url: string;
  pixels: Float32Array;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function fetchJson<T>(file: string): Promise<T> {
  const res = await fetch(file);
  if (!res.ok) throw new Error(`${file}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Centre square crop, resized to the model's size, as [S, S, C] floats normalised as at evaluation. */
async function loadPixels(file: Blob, config: WebModelConfig): Promise<Float32Array> {
  const size = config.image.imageSize;
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const side = Math.min(bitmap.width, bitmap.height);
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, size, size);
  const rgba = ctx.getImageData(0, 0, size, size).data;
  const channels = config.image.channels;
  const { mean, std } = config.normalize;
  const out = new Float32Array(size * size * channels);
  for (let i = 0; i < size * size; i++) {
    for (let c = 0; c < channels; c++) {
      const value = channels === 1 ? (rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3 / 255 : rgba[4 * i + c] / 255;
      out[i * channels + c] = (value - mean[c]) / std[c];
    }
  }
  return out;
}

/**
 * A tensor's values, then the tensor disposed. Reads are asynchronous: WebGPU has no fast
 * synchronous read back, and a page must not block on one.
 */
async function readAndDispose<T>(t: tf.Tensor, read: (t: tf.Tensor) => Promise<T>): Promise<T> {
  try {
    return await read(t);
  } finally {
    t.dispose();
  }
}
const arrayOf = (t: tf.Tensor) => readAndDispose(t, (x) => x.array() as Promise<number[][]>);

const splitList = (text: string) => text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const { backend, skipped } = await selectBackend(params.get('backend'));
  $('backend').textContent = `backend: ${backend}`;
  $('backend').title = skipped.length ? `skipped: ${skipped.join('; ')}` : '';
  const config = await fetchJson<WebModelConfig>('model.json');
  const tokenizerData = await fetchJson<WebTokenizerData>(config.tokenizer.file);
  const manifest = config.weightsManifest[0];
  const buffers = await Promise.all(manifest.paths.map(async (p) => (await fetch(p)).arrayBuffer()));
  const model = new WebClipModel(config, tf.io.decodeWeights(buffers.length === 1 ? buffers[0] : tf.io.concatenateArrayBuffers(buffers), manifest.weights));
  const tokenizer = new WebClipTokenizer(tokenizerData, config.tokenizer.contextLength);
  $('title').textContent = `slipkit · ${config.name} (step ${config.step})`;
  ($('templates') as HTMLTextAreaElement).value = config.templates.join('\n');
  ($('classes') as HTMLTextAreaElement).value = (config.classNames ?? []).join('\n');

  const images: PageImage[] = [];
  const size = config.image.imageSize;
  const channels = config.image.channels;

  const imageEmbeddings = (): tf.Tensor2D =>
    tf.tidy(() => {
      const batch = tf.tensor4d(Float32Array.from(images.flatMap((im) => [...im.pixels])), [images.length, size, size, channels]);
      return model.embedImages(batch);
    });
  const textEmbeddings = (texts: readonly string[]): tf.Tensor2D => {
    const { ids, eot } = tokenizer.encode(texts);
    return model.embedTokens(ids, eot, texts.length);
  };
  const zeroShotClasses = (classes: readonly string[], templates: readonly string[]): tf.Tensor2D =>
    tf.tidy(() => classEmbeddings(textEmbeddings(classes.flatMap((c) => templates.map((t) => t.split('{}').join(c)))), classes.length, templates.length));

  /** Per image, classes ranked by softmax(logitScale · cosine). */
  async function classify(): Promise<Array<Array<{ label: string; score: number }>>> {
    const classes = splitList(($('classes') as HTMLTextAreaElement).value);
    // One template per line: a template may contain commas.
    const templates = ($('templates') as HTMLTextAreaElement).value.split('\n').map((t) => t.trim()).filter(Boolean);
    if (!images.length || !classes.length || !templates.length) return [];
    const probs = await arrayOf(tf.tidy(() => tf.softmax(tf.mul(tf.matMul(l2Normalize(imageEmbeddings()), zeroShotClasses(classes, templates), false, true), config.logitScale))));
    const ranked = probs.map((row) => row.map((score, i) => ({ label: classes[i], score })).sort((a, b) => b.score - a.score));
    renderGallery(ranked);
    return ranked;
  }

  /** Images ranked by cosine similarity to a caption. */
  async function search(caption: string): Promise<Array<{ name: string; score: number }>> {
    if (!images.length || !caption.trim()) return [];
    const scores = await readAndDispose(tf.tidy(() => tf.matMul(l2Normalize(imageEmbeddings()), l2Normalize(textEmbeddings([caption])), false, true)), (t) => t.data());
    const ranked = images.map((im, i) => ({ name: im.name, url: im.url, score: scores[i] })).sort((a, b) => b.score - a.score);
    $('ranking').innerHTML = ranked.map((r, i) => `<li><img src="${r.url}" alt=""><b>#${i + 1}</b> ${escapeHtml(r.name)}<br>${r.score.toFixed(3)}</li>`).join('');
    return ranked.map(({ name, score }) => ({ name, score }));
  }

  function renderGallery(ranked?: Array<Array<{ label: string; score: number }>>): void {
    $('gallery').innerHTML = images
      .map((im, i) => {
        const labels = (ranked?.[i] ?? []).slice(0, 5).map((l) => `<div class="label"><span class="text">${escapeHtml(l.label)}</span><span class="bar" style="width:${Math.max(2, l.score * 90)}px"></span>${(l.score * 100).toFixed(1)}%</div>`);
        return `<div class="card"><img src="${im.url}" alt=""><div class="name">${escapeHtml(im.name)}</div>${labels.join('')}</div>`;
      })
      .join('');
  }

  async function addFiles(files: ArrayLike<File>): Promise<void> {
    for (const file of Array.from(files)) {
      if (!file.type.startsWith('image/')) continue;
      images.push({ name: file.name, url: URL.createObjectURL(file), pixels: await loadPixels(file, config) });
    }
    $('status').textContent = `${images.length} image(s)`;
    if (splitList(($('classes') as HTMLTextAreaElement).value).length) await classify();
    else renderGallery();
  }

  const input = $('files') as HTMLInputElement;
  input.addEventListener('change', () => void addFiles(input.files ?? []).then(() => (input.value = '')));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    void addFiles(e.dataTransfer?.files ?? []);
  });
  const report = (work: Promise<unknown>) => work.catch((err: Error) => ($('status').textContent = `error: ${err.message}`));
  $('classify').addEventListener('click', () => void report(classify()));
  $('search').addEventListener('click', () => void report(search(($('caption') as HTMLInputElement).value)));
  ($('caption') as HTMLInputElement).addEventListener('keydown', (e) => e.key === 'Enter' && void report(search(($('caption') as HTMLInputElement).value)));

  // What the browser test reads (and a console user may call).
  Object.assign(window, {
    slipkitPage: {
      backend,
      skippedBackends: skipped,
      config,
      imageCount: () => images.length,
      tokenize: (texts: string[]) => {
        const { ids } = tokenizer.encode(texts);
        return texts.map((_, r) => [...ids.subarray(r * config.tokenizer.contextLength, (r + 1) * config.tokenizer.contextLength)]);
      },
      imageEmbeddings: () => arrayOf(imageEmbeddings()),
      textEmbeddings: (texts: string[]) => arrayOf(textEmbeddings(texts)),
      classEmbeddings: (classes: string[], templates: string[]) => arrayOf(zeroShotClasses(classes, templates)),
      classify,
      search,
      numTensors: () => tf.memory().numTensors,
    },
  });
  document.body.dataset.ready = 'true';
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

start().catch((err: Error) => {
  const badge = $('backend');
  badge.textContent = `error: ${err.message}`;
  badge.classList.add('error');
  document.body.dataset.error = err.message;
});

import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { main } from '../../../core/cli/main';
import { makeCliContext } from '../../../core/cli/context';
import { disposeTrainable } from '../../../core/contracts/trainable';
import { loadTrainedExperiment, type TrainedExperiment } from '../../../core/engine/eval-checkpoint';
import { Rng } from '../../../core/random';
import { l2Normalize } from '../../../core/nn/l2-normalize';
import { builtinCommands, builtinPlugins } from '../../../plugins/index';
import { zeroShotClassEmbeddings } from '../../../plugins/evaluators/maths/class-embeddings';
import type { WebModelConfig } from '../../../plugins/web-export/app/model-config';
import { serveDirectory, type StaticServer } from '../../../plugins/web-export/serve';
import { launchChromium, SOFTWARE_WEBGPU_ARGS } from '../../helpers/chromium';
import { repoRoot } from '../../helpers/paths';
import { saveUntrainedCheckpoint } from '../../helpers/random-checkpoint';
import { builtinRegistry, captureStream, quietLog, tempDir } from '../../helpers/runs';

/** Where the page's screenshot goes (a CI artifact; README's docs/web-export.png comes from scripts/web-export-screenshot.js). */
const ARTIFACTS = process.env.SLIPKIT_TEST_ARTIFACTS ?? path.join(repoRoot, 'test-artifacts');
const TOLERANCE = 1e-4;
const CLASSES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const CAPTION = 'a handwritten digit seven.';

declare global {
  interface Window {
    slipkitPage: {
      backend: string;
      skippedBackends: string[];
      config: WebModelConfig;
      imageCount(): number;
      tokenize(texts: string[]): number[][];
      imageEmbeddings(): Promise<number[][]>;
      textEmbeddings(texts: string[]): Promise<number[][]>;
      classEmbeddings(classes: string[], templates: string[]): Promise<number[][]>;
      classify(): Promise<Array<Array<{ label: string; score: number }>>>;
      search(caption: string): Promise<Array<{ name: string; score: number }>>;
      numTensors(): number;
    };
  }
}

function maxDiff(a: number[][], b: number[][]): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  a.forEach((row, i) => {
    assert.equal(row.length, b[i].length);
    row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i][j]))));
  });
  return worst;
}

/** Five 28×28 RGB test images (stripes, blocks, noise), as PNG files. */
async function writeImages(dir: string): Promise<string[]> {
  const rng = new Rng(42);
  const files: string[] = [];
  for (let k = 0; k < 5; k++) {
    const pixels = Buffer.alloc(28 * 28 * 3);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const on = k === 0 ? x % 7 < 3 : k === 1 ? y > 14 : k === 2 ? (x - 14) ** 2 + (y - 14) ** 2 < 60 : k === 3 ? x === y || x === 27 - y : rng.next() > 0.5;
        for (let c = 0; c < 3; c++) pixels[(y * 28 + x) * 3 + c] = on ? 230 - 40 * c : Math.floor(rng.next() * 40);
      }
    }
    const file = path.join(dir, `digit-${k}.png`);
    await sharp(pixels, { raw: { width: 28, height: 28, channels: 3 } }).png().toFile(file);
    files.push(file);
  }
  return files;
}

/** Node's embeddings of the PNGs: decoded by sharp, [0, 1], the evaluation view, the image tower and projection. */
async function nodeImageEmbeddings(trained: TrainedExperiment, files: string[]): Promise<number[][]> {
  const batch: number[] = [];
  for (const file of files) {
    const { data } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    for (const byte of data) batch.push(byte / 255);
  }
  const { exp } = trained;
  return tf.tidy(() => {
    const images = exp.evalView.reduce((x, aug) => aug.apply(x, new Rng(0)), tf.tensor4d(batch, [files.length, 28, 28, 3]));
    return exp.model.projectImage(exp.model.image.forward(images).pooled).arraySync();
  });
}

describe('slipkit export: the web page in headless Chromium (quickstart-size model, untrained weights)', function () {
  this.timeout(120_000);
  let dir: string;
  let outDir: string;
  let runDir: string;
  let server: StaticServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let trained: TrainedExperiment;
  let images: string[];
  const pageErrors: string[] = [];

  before(async () => {
    dir = tempDir('web-export');
    runDir = path.join(dir, 'run');
    outDir = path.join(dir, 'site');
    await saveUntrainedCheckpoint(path.join(repoRoot, 'experiments', 'quickstart.json'), runDir, ['backend=cpu', 'data.workers=0']);
    const out = captureStream();
    const err = captureStream();
    const code = await main(['node', 'slipkit', 'export', runDir, '--out', outDir], builtinPlugins, makeCliContext(builtinPlugins, out, err, builtinCommands));
    assert.equal(code, 0, err.text());
    assert.match(out.text(), /exported quickstart \(step 0/);
    images = await writeImages(dir);
    trained = await loadTrainedExperiment(runDir, builtinRegistry(), quietLog);
    server = await serveDirectory(outDir, 0);
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.error !== undefined, undefined, { timeout: 60_000 });
    const error = await page.evaluate(() => document.body.dataset.error);
    assert.equal(error, undefined, `the page failed: ${error}`);
    await page.setInputFiles('#files', images);
    await page.waitForFunction(() => window.slipkitPage.imageCount() === 5);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (trained) {
      disposeTrainable(trained.exp.model);
      for (const s of trained.exp.slots) disposeTrainable(s.objective);
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exports weights, config, tokenizer, page and wasm binaries, and says which backend the page runs on', async () => {
    for (const f of ['index.html', 'app.js', 'model.json', 'weights.bin', 'tokenizer.json', 'tfjs-backend-wasm.wasm']) assert.ok(fs.existsSync(path.join(outDir, f)), f);
    assert.ok(!/https?:\/\/(?!127\.0\.0\.1)[a-z]/.test(fs.readFileSync(path.join(outDir, 'index.html'), 'utf8')), 'index.html loads nothing from elsewhere');
    const backend = await page.evaluate(() => window.slipkitPage.backend);
    assert.ok(['webgpu', 'webgl', 'wasm'].includes(backend), backend);
    assert.equal(await page.textContent('#backend'), `backend: ${backend}`);
    // Faster backends were tried first, and the page says why they were skipped.
    const skipped = await page.evaluate(() => window.slipkitPage.skippedBackends);
    const order = ['webgpu', 'webgl', 'wasm'];
    assert.deepEqual(skipped.map((s) => s.split(':')[0]), order.slice(0, order.indexOf(backend)));
    if (skipped.length) assert.equal(await page.getAttribute('#backend', 'title'), `skipped: ${skipped.join('; ')}`);
    process.stdout.write(`      page backend: ${backend}${skipped.length ? ` (skipped ${skipped.join('; ')})` : ''}\n`);
  });

  it("the page's CLIP BPE tokenizer gives Node's ids", async () => {
    const texts = [...CLASSES.map((c) => `a photo of the number ${c}.`), 'Café déjà-vu: naïve 😀 tokens &amp; “quotes”', 'a very long caption '.repeat(10)];
    const ids = await page.evaluate((t) => window.slipkitPage.tokenize(t), texts);
    const tokens = trained.exp.model.tokenizer!.encode(texts);
    const n = tokens.contextLength;
    ids.forEach((row, r) => assert.deepEqual(row, [...tokens.ids.subarray(r * n, (r + 1) * n)], texts[r]));
  });

  it("image embeddings of 5 images equal Node's for the same checkpoint (1e-4)", async () => {
    const page5 = await page.evaluate(() => window.slipkitPage.imageEmbeddings());
    const d = maxDiff(page5, await nodeImageEmbeddings(trained, images));
    process.stdout.write(`      largest |page - node| image embedding: ${d.toExponential(2)}\n`);
    assert.ok(d < TOLERANCE, `image embeddings differ by ${d}`);
  });

  it("text and zero-shot class embeddings of 10 classes equal Node's (1e-4), with the evaluator's prompt templates", async () => {
    const config = await page.evaluate(() => window.slipkitPage.config);
    assert.ok(config.templates.length > 1);
    const prompts = CLASSES.map((c) => config.templates[0].replace('{}', c));
    const pageText = await page.evaluate((t) => window.slipkitPage.textEmbeddings(t), prompts);
    const model = trained.exp.model;
    const nodeText = tf.tidy(() => model.projectText(model.encodeTexts(prompts)).arraySync());
    const dText = maxDiff(pageText, nodeText);
    const pageClasses = await page.evaluate(([c, t]) => window.slipkitPage.classEmbeddings(c, t), [CLASSES, config.templates] as const);
    const nodeClasses = tf.tidy(() => zeroShotClassEmbeddings((t) => model.projectText(model.encodeTexts(t)), CLASSES, config.templates, 256).arraySync());
    const dClasses = maxDiff(pageClasses, nodeClasses);
    process.stdout.write(`      largest |page - node| text embedding: ${dText.toExponential(2)}, class embedding: ${dClasses.toExponential(2)}\n`);
    assert.ok(dText < TOLERANCE, `text embeddings differ by ${dText}`);
    assert.ok(dClasses < TOLERANCE, `class embeddings differ by ${dClasses}`);
  });

  it("ranks the 10 labels per image, and the images for a caption, as Node does; screenshot saved", async () => {
    await page.fill('#classes', CLASSES.join('\n'));
    const ranked = await page.evaluate(() => window.slipkitPage.classify());
    const model = trained.exp.model;
    const config = await page.evaluate(() => window.slipkitPage.config);
    const nodeImages = await nodeImageEmbeddings(trained, images);
    const nodeLogits = tf.tidy(() => {
      const classes = zeroShotClassEmbeddings((t) => model.projectText(model.encodeTexts(t)), CLASSES, config.templates, 256);
      return (tf.matMul(l2Normalize(tf.tensor2d(nodeImages)), classes, false, true) as tf.Tensor2D).arraySync();
    });
    assertSameOrder(ranked.map((r) => r.map((l) => l.label)), nodeLogits.map((row) => CLASSES.map((c, i) => ({ c, s: row[i] }))));
    await page.fill('#caption', CAPTION);
    const search = await page.evaluate((c) => window.slipkitPage.search(c), CAPTION);
    const nodeSearch = tf.tidy(() => tf.matMul(l2Normalize(tf.tensor2d(nodeImages)), l2Normalize(model.projectText(model.encodeTexts([CAPTION]))), false, true).dataSync());
    assertSameOrder([search.map((r) => r.name)], [images.map((f, i) => ({ c: path.basename(f), s: nodeSearch[i] }))]);
    // The page renders what it computed: a card per image with its top labels, the ranking list.
    assert.equal(await page.locator('#gallery .card').count(), 5);
    assert.equal(await page.locator('#ranking li').count(), 5);
    await page.click('#search');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-export-page.png'), fullPage: true });
    assert.ok(fs.statSync(path.join(ARTIFACTS, 'web-export-page.png')).size > 10_000);
    assert.deepEqual(pageErrors, []);
  });

  it("on the wasm backend (?backend=wasm) too, image and text embeddings equal Node's (1e-4)", async () => {
    const wasmPage = await browser.context.newPage();
    try {
      await wasmPage.goto(`${server.url}?backend=wasm`);
      await wasmPage.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.error !== undefined, undefined, { timeout: 60_000 });
      assert.equal(await wasmPage.evaluate(() => document.body.dataset.error), undefined);
      assert.equal(await wasmPage.evaluate(() => window.slipkitPage.backend), 'wasm');
      await wasmPage.setInputFiles('#files', images);
      await wasmPage.waitForFunction(() => window.slipkitPage.imageCount() === 5);
      const d = maxDiff(await wasmPage.evaluate(() => window.slipkitPage.imageEmbeddings()), await nodeImageEmbeddings(trained, images));
      const model = trained.exp.model;
      const dText = maxDiff(await wasmPage.evaluate((c) => window.slipkitPage.textEmbeddings([c]), CAPTION), tf.tidy(() => model.projectText(model.encodeTexts([CAPTION])).arraySync()));
      process.stdout.write(`      wasm: largest |page - node| image ${d.toExponential(2)}, text ${dText.toExponential(2)}\n`);
      assert.ok(d < TOLERANCE && dText < TOLERANCE, `differences ${d}, ${dText}`);
    } finally {
      await wasmPage.close();
    }
  });

  // About half this file's time: SwiftShader compiles every WebGPU pipeline on first use.
  it("picks WebGPU where the browser has an adapter (Chromium's software one), and its embeddings equal Node's (1e-4)", async () => {
    const gpuBrowser = await launchChromium(SOFTWARE_WEBGPU_ARGS);
    try {
      const gpuPage = await gpuBrowser.context.newPage();
      await gpuPage.goto(server.url);
      await gpuPage.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.error !== undefined, undefined, { timeout: 60_000 });
      assert.equal(await gpuPage.evaluate(() => document.body.dataset.error), undefined);
      assert.equal(await gpuPage.evaluate(() => window.slipkitPage.backend), 'webgpu');
      assert.equal(await gpuPage.textContent('#backend'), 'backend: webgpu');
      await gpuPage.setInputFiles('#files', images);
      await gpuPage.waitForFunction(() => window.slipkitPage.imageCount() === 5);
      const d = maxDiff(await gpuPage.evaluate(() => window.slipkitPage.imageEmbeddings()), await nodeImageEmbeddings(trained, images));
      const model = trained.exp.model;
      const dText = maxDiff(await gpuPage.evaluate((c) => window.slipkitPage.textEmbeddings([c]), CAPTION), tf.tidy(() => model.projectText(model.encodeTexts([CAPTION])).arraySync()));
      process.stdout.write(`      webgpu: largest |page - node| image ${d.toExponential(2)}, text ${dText.toExponential(2)}\n`);
      assert.ok(d < TOLERANCE && dText < TOLERANCE, `differences ${d}, ${dText}`);
    } finally {
      await gpuBrowser.close();
    }
  });

  it('repeated classification and search leave no tensors behind in the page', async () => {
    const before = await page.evaluate(() => window.slipkitPage.numTensors());
    await page.evaluate(async (c) => {
      for (let i = 0; i < 3; i++) {
        await window.slipkitPage.classify();
        await window.slipkitPage.search(c);
      }
    }, CAPTION);
    assert.equal(await page.evaluate(() => window.slipkitPage.numTensors()), before);
  });
});

/**
 * The page's order equals Node's, except between neighbours whose Node scores are within
 * 1e-5 (an order the two backends may legitimately break differently).
 */
function assertSameOrder(pageOrder: string[][], node: Array<Array<{ c: string; s: number }>>): void {
  node.forEach((row, i) => {
    const sorted = [...row].sort((a, b) => b.s - a.s);
    const score = new Map(row.map((r) => [r.c, r.s]));
    const got = pageOrder[i];
    assert.equal(got.length, sorted.length);
    got.forEach((c, k) => {
      if (c !== sorted[k].c) assert.ok(Math.abs(score.get(c)! - sorted[k].s) < 1e-5, `row ${i}: page puts ${c} at ${k + 1}, Node puts ${sorted[k].c}`);
    });
  });
}

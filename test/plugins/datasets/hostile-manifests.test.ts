/**
 * Hostile manifests and folders on real files: paths that leave the image root (relative,
 * absolute, through a symlinked file or folder), missing, unreadable, empty and truncated
 * images, and caption bytes that are not UTF-8 in CSV, TSV and JSONL. Each is a bad sample,
 * skipped and counted under data.maxFailureFraction (and the DataError that stops a run names
 * the first offenders); nothing outside the image root is ever read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { strict as assert } from 'node:assert';
import type { Dataset } from '../../../core/contracts/dataset';
import { DataLoader } from '../../../core/data/loader';
import { DataError } from '../../../core/errors';
import { ImageFolder } from '../../../plugins/datasets/image-folder';
import { ImageTextManifest } from '../../../plugins/datasets/image-text-manifest';
import { solidImage, tempDir, truncated, writeFile } from '../../core/data/helpers/image-files';
import { quiet } from './helpers';

/** One pass with every bad sample allowed: the captions delivered and each bad sample's reason by origin. */
async function pass(dataset: Dataset): Promise<{ captions: string[]; bad: Map<string, string>; summary: string }> {
  const loader = new DataLoader(dataset, { batchSize: 64, loadSize: 4, workers: 0, prefetchBatches: 1, seed: 0, shuffle: false, repeat: false, maxFailureFraction: 1, log: quiet });
  const captions: string[] = [];
  try {
    for (let b = await loader.next(); b; b = await loader.next()) {
      captions.push(...b.captions);
      b.images.dispose();
    }
    return { captions, bad: new Map(loader.failureReport().examples.map((e) => [e.origin, e.reason])), summary: loader.failureSummary() };
  } finally {
    await loader.close();
  }
}

describe('hostile manifests: every bad row is skipped and counted, nothing outside the image root is read', function () {
  this.timeout(30_000);
  let root: string;
  let images: string;
  let secret: string;
  before(async () => {
    root = tempDir('hostile-manifest');
    images = path.join(root, 'images');
    // A valid image outside the root: were it read, it would decode and show up in the batch.
    secret = writeFile(root, 'outside/secret.jpg', await solidImage(8, 8, [9, 9, 9], 'jpeg'));
    const good = await solidImage(8, 8, [200, 100, 50], 'jpeg');
    writeFile(root, 'images/good.jpg', good);
    writeFile(root, 'images/empty.jpg', Buffer.alloc(0));
    writeFile(root, 'images/cut.jpg', truncated(good));
    fs.mkdirSync(path.join(images, 'folder.jpg'));
    fs.symlinkSync(path.join(root, 'outside', 'secret.jpg'), path.join(images, 'link.jpg'));
    fs.symlinkSync(path.join(root, 'outside'), path.join(images, 'linkdir'));
    fs.symlinkSync('good.jpg', path.join(images, 'alias.jpg')); // inside the root: allowed
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const manifest = (name: string, bytes: Buffer | string): ImageTextManifest => {
    writeFile(root, name, bytes);
    return new ImageTextManifest({ path: name, imageRoot: 'images' } as never, root);
  };
  const origin = (file: string, line: number, relative: string): string => `${path.join(root, file)}:${line} (${relative})`;

  it('CSV: escaping, symlinked-out, missing, folder, empty and truncated images are bad samples with their reasons', async () => {
    const rows = [
      ['good.jpg', 'kept'],
      ['../outside/secret.jpg', 'relative escape'],
      [secret, 'absolute escape'],
      ['link.jpg', 'symlinked file'],
      ['linkdir/secret.jpg', 'symlinked folder'],
      ['gone.jpg', 'missing'],
      ['folder.jpg', 'a folder'],
      ['empty.jpg', 'zero bytes'],
      ['cut.jpg', 'truncated'],
      ['alias.jpg', 'symlink inside the root'],
    ];
    const dataset = manifest('hostile.csv', ['filepath,title', ...rows.map((r) => r.join(','))].join('\n') + '\n');
    const { captions, bad, summary } = await pass(dataset);
    assert.deepEqual(captions, ['kept', 'symlink inside the root']);
    const reason = (line: number): string => bad.get(origin('hostile.csv', line, rows[line - 2][0])) ?? '';
    assert.equal(reason(3), `image path "../outside/secret.jpg" leaves the image root ${images}`);
    assert.equal(reason(4), `image path "${secret}" leaves the image root ${images}`);
    assert.match(reason(5), new RegExp(`^image path "link\\.jpg" resolves through a symlink to ${secret}, outside the image root`));
    assert.match(reason(6), new RegExp(`^image path "linkdir/secret\\.jpg" resolves through a symlink to ${secret}, outside the image root`));
    assert.equal(reason(7), `image not found: ${path.join(images, 'gone.jpg')}`);
    assert.match(reason(8), /^cannot read image \(EISDIR\)/);
    assert.equal(reason(9), 'empty file');
    assert.match(reason(10), /^truncated JPEG: no end-of-image marker/);
    assert.equal(bad.size, 8);
    assert.equal(summary, '8 of 10 samples were bad and skipped (80.0%); within data.maxFailureFraction (100.0% × 10 seen, a full pass = 10 bad samples)');
  });

  it('stops with maxFailureFraction 0 at the first bad row, naming manifest, line and path', async () => {
    const dataset = manifest('strict.csv', 'filepath,title\ngood.jpg,a\nlink.jpg,b\ngood.jpg,c\n');
    const loader = new DataLoader(dataset, { batchSize: 8, loadSize: 4, workers: 1, prefetchBatches: 1, seed: 0, shuffle: false, repeat: false, maxFailureFraction: 0, log: quiet });
    try {
      await assert.rejects(loader.next(), (err: unknown) =>
        err instanceof DataError &&
        err.message.startsWith('1 of 2 samples were bad and skipped (50.0%), more than data.maxFailureFraction allows (0: any bad sample is fatal); first: ') &&
        err.message.includes(`${origin('strict.csv', 3, 'link.jpg')}: image path "link.jpg" resolves through a symlink`),
      );
    } finally {
      await loader.close();
    }
  });

  it('captions whose bytes are not UTF-8 (TSV, CSV, JSONL) make their rows bad samples, read with U+FFFD in the reason', async () => {
    const bad = Buffer.from([0xff, 0xfe, 0xc3]); // not UTF-8: a stray continuation, an invalid byte, a cut sequence
    const tsv = Buffer.concat([Buffer.from('filepath\ttitle\ngood.jpg\tfine\ngood.jpg\tcaf'), bad, Buffer.from('\ngood.jpg\talso fine\n')]);
    const csv = Buffer.concat([Buffer.from('filepath,title\ngood.jpg,"multi\nline '), bad, Buffer.from('"\ngood.jpg,fine\n')]);
    const jsonl = Buffer.concat([Buffer.from('{"filepath": "good.jpg", "title": "x'), bad, Buffer.from('"}\n{"filepath": "good.jpg", "title": "fine"}\n')]);
    const fromTsv = await pass(manifest('captions.tsv', tsv));
    assert.deepEqual(fromTsv.captions, ['fine', 'also fine']);
    assert.equal(fromTsv.bad.get(origin('captions.tsv', 3, 'good.jpg')), 'line 3 has bytes that are not UTF-8 (read as U+FFFD: "caf\uFFFD\uFFFD\uFFFD")');
    // A quoted CSV caption over two lines: the record starts at line 2, the bad bytes are on line 3.
    const fromCsv = await pass(manifest('captions.csv', csv));
    assert.deepEqual(fromCsv.captions, ['fine']);
    assert.match(fromCsv.bad.get(origin('captions.csv', 2, 'good.jpg')) ?? '', /^line 3 has bytes that are not UTF-8/);
    const fromJsonl = await pass(manifest('captions.jsonl', jsonl));
    assert.deepEqual(fromJsonl.captions, ['fine']);
    assert.match(fromJsonl.bad.get(origin('captions.jsonl', 1, 'good.jpg')) ?? '', /^line 1 has bytes that are not UTF-8 \(read as U\+FFFD: "x\uFFFD/);
  });

  it('image-folder: an image gone between listing and reading is a bad sample, not a crash', async () => {
    const folder = tempDir('hostile-folder');
    try {
      writeFile(folder, 'cat/a.jpg', await solidImage(8, 8, [1, 1, 1], 'jpeg'));
      writeFile(folder, 'cat/b.jpg', await solidImage(8, 8, [2, 2, 2], 'jpeg'));
      const dataset = new ImageFolder({ root: folder } as never, '/');
      fs.rmSync(path.join(folder, 'cat', 'b.jpg'));
      const { captions, bad } = await pass(dataset);
      assert.equal(captions.length, 1);
      assert.match(bad.get(path.join(folder, 'cat', 'b.jpg')) ?? '', /^cannot read image: ENOENT/);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});

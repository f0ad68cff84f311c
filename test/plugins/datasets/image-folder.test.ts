/** image-folder on a small real class tree of PNG and JPEG files written by sharp in the test. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { strict as assert } from 'node:assert';
import { DataError } from '../../../core/errors';
import { ImageFolder } from '../../../plugins/datasets/image-folder';
import { solidImage, tempDir, writeFile } from '../../core/data/helpers/image-files';
import { allSamples, loadAll } from './helpers';

describe('image-folder', () => {
  let root: string;
  before(async () => {
    root = tempDir('folder');
    const png = await solidImage(6, 6, [250, 250, 250], 'png');
    const jpeg = await solidImage(6, 6, [5, 5, 5], 'jpeg');
    writeFile(root, 'pets/golden_retriever/b.png', png);
    writeFile(root, 'pets/golden_retriever/a.JPG', jpeg);
    writeFile(root, 'pets/golden_retriever/nested/c.jpeg', jpeg);
    writeFile(root, 'pets/tabby-cat/x.png', png);
    writeFile(root, 'pets/tabby-cat/notes.txt', 'not an image');
    writeFile(root, 'pets/tabby-cat/.hidden.png', png);
    writeFile(root, 'pets/.cache/y.png', png);
    fs.mkdirSync(path.join(root, 'empty', 'nothing'), { recursive: true });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('labels images by sorted class folder, recursively, skipping hidden and non-image files', async () => {
    const dataset = new ImageFolder({ root: 'pets' }, root);
    assert.deepEqual(dataset.classNames, ['golden retriever', 'tabby cat']);
    assert.equal(await dataset.size(), 4);
    const samples = await allSamples(dataset);
    assert.deepEqual(
      samples.map((s) => [s.key, s.label]),
      [
        [path.join('golden_retriever', 'a.JPG'), 0],
        [path.join('golden_retriever', 'b.png'), 0],
        [path.join('golden_retriever', 'nested', 'c.jpeg'), 0],
        [path.join('tabby-cat', 'x.png'), 1],
      ],
    );
  });

  it('captions through its templates and decodes the real files through the loader', async () => {
    const dataset = new ImageFolder({ root: 'pets', promptTemplates: ['a photo of a {}.', 'my {}'] }, root);
    const [batch] = await loadAll(dataset, { loadSize: 4 });
    batch.captions.forEach((c, i) => {
      const name = ['golden retriever', 'tabby cat'][batch.labels[i]];
      assert.ok([`a photo of a ${name}.`, `my ${name}`].includes(c), c);
    });
    assert.ok(batch.pixels[0] < 0.1 && batch.pixels[48] > 0.9, 'a.JPG is dark, b.png light');
  });

  it('takes an explicit class list (label order) and raw folder names', async () => {
    const dataset = new ImageFolder({ root: 'pets', classes: ['tabby-cat', 'golden_retriever'], humanizeClassNames: false }, root);
    assert.deepEqual(dataset.classNames, ['tabby-cat', 'golden_retriever']);
    assert.deepEqual((await allSamples(dataset)).map((s) => s.label), [0, 1, 1, 1]);
  });

  it('names the folder when there is nothing to read', () => {
    assert.throws(() => new ImageFolder({ root: 'missing' }, root), (err: unknown) => err instanceof DataError && err.message === `${path.join(root, 'missing')}: image folder not found`);
    assert.throws(() => new ImageFolder({ root: 'empty' }, root), /no images with extensions/);
    assert.throws(() => new ImageFolder({ root: 'pets', classes: ['dog'] }, root), /class folder "dog" not found/);
  });
});

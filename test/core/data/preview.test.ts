/** The preview's view columns, un-normalisation and PNG layout, on synthetic shapes (synthetic data). */
import { strict as assert } from 'node:assert';
import sharp from 'sharp';
import { DataLoader } from '../../../core/data/loader';
import { previewViews, renderPreviewPng, viewColumns, wrap } from '../../../core/data/preview';
import { Logger } from '../../../core/logger';
import { HorizontalFlip } from '../../../plugins/augmentations/horizontal-flip';
import { Normalize } from '../../../plugins/augmentations/normalize';
import { SyntheticShapes } from '../../../plugins/datasets/synthetic-shapes';
import { PatchMaskStep } from '../../../plugins/augmentations/patch-mask';
import { RandomResizedCrop } from '../../../plugins/augmentations/random-resized-crop';

const quiet = new Logger('silent');

describe('preview', () => {
  it('lists view instances as the engine computes them: ssl twice for SimCLR, shared across objectives', () => {
    const flip = [new HorizontalFlip()];
    const columns = viewColumns({ clip: flip, ssl: flip, unused: flip }, [['clip'], ['ssl', 'ssl'], ['ssl', 'clip']]);
    assert.deepEqual(columns.map((c) => c.title), ['clip#0', 'ssl#0', 'ssl#1', 'unused#0']);
  });

  it('shows the decoded original and each view un-normalised', async () => {
    const dataset = new SyntheticShapes({ count: 8, size: 12 });
    const options = { samples: 3, imageSize: 12, loadSize: 12, workers: 0, seed: 4, log: quiet };
    const grid = await previewViews(dataset, [{ title: 'flipped', pipeline: [new HorizontalFlip({ p: 1 }), new Normalize({ preset: 'clip' })] }], options);
    assert.deepEqual(grid.columns.map((c) => c.title), ['original', 'flipped']);
    assert.equal(grid.captions.length, 3);
    // The original column is what the loader delivers (same seed, same order) ...
    const loader = new DataLoader(dataset, { batchSize: 3, loadSize: 12, workers: 0, prefetchBatches: 1, seed: 4, shuffle: true, repeat: false, maxFailureFraction: 0, log: quiet });
    const batch = (await loader.next())!;
    await loader.close();
    const loaded = Uint8Array.from(await batch.images.mul(255).round().data());
    batch.images.dispose();
    assert.deepEqual(grid.keys, batch.keys);
    grid.columns[0].images.forEach((img, i) => assert.deepEqual(img, loaded.subarray(i * 432, (i + 1) * 432)));
    // ... and the flipped+normalised view displays as the flipped original: normalize is undone.
    grid.columns[1].images.forEach((img, i) => {
      for (let y = 0; y < 12; y++) {
        for (let x = 0; x < 12; x++) {
          for (let c = 0; c < 3; c++) assert.ok(Math.abs(img[(y * 12 + x) * 3 + c] - grid.columns[0].images[i][(y * 12 + (11 - x)) * 3 + c]) <= 1);
        }
      }
    });
  });

  it('shows a local crop at its own size, smaller, and greys out the patches a masked view drops', async () => {
    const dataset = new SyntheticShapes({ count: 8, size: 12 });
    const options = { samples: 2, imageSize: 12, loadSize: 12, workers: 0, seed: 4, log: quiet, patchSize: 3 };
    const grid = await previewViews(
      dataset,
      [
        { title: 'global#0', pipeline: [new RandomResizedCrop({}, 12)] },
        { title: 'local#0', pipeline: [new RandomResizedCrop({ size: 6 }, 12)] },
        { title: 'clip#0', pipeline: [new PatchMaskStep({ ratio: 0.75 })] },
      ],
      options,
    );
    assert.deepEqual(grid.columns.map((c) => c.title), ['original', 'global#0', 'local#0 (6 px)', 'clip#0 (mask 0.75)']);
    assert.deepEqual(grid.columns.slice(1).map((c) => [c.side, c.relativeSize]), [[12, 1], [6, 0.5], [12, 1]]);
    // 16 patches of 3×3, 4 kept: 12 patches (108 of 144 pixels) mid-grey, the kept ones as the original
    grid.columns[3].images.forEach((img, i) => {
      let grey = 0;
      for (let p = 0; p < 144; p++) {
        const same = [0, 1, 2].every((c) => img[p * 3 + c] === grid.columns[0].images[i][p * 3 + c]);
        if (!same) {
          assert.ok([0, 1, 2].every((c) => Math.abs(img[p * 3 + c] - 128) <= 1), `pixel ${p} is kept or grey`);
          grey++;
        }
      }
      assert.ok(grey <= 108 && grey >= 90, `${grey} grey pixels`);
    });
  });

  it('wraps captions to the width in at most two lines', () => {
    assert.deepEqual(wrap('a small red circle on the left of a large blue square', 20, 2), ['a small red circle', 'on the left of a…']);
    assert.deepEqual(wrap('short', 20, 2), ['short']);
  });

  it('renders a PNG with a header row and one row per sample', async () => {
    const side = 4;
    const red = new Uint8Array(side * side * 3).map((_, i) => (i % 3 === 0 ? 255 : 0));
    const png = await renderPreviewPng({
      columns: [
        { title: 'original', images: [red, red], side },
        { title: 'view <&>', images: [red, red], side },
      ],
      captions: ['a red square', ''],
      keys: ['k0', 'k1'],
    });
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, 'png');
    // cell 96 px (the minimum), gaps of 6, header 22, caption 34 per row
    assert.equal(meta.width, 6 + 2 * (96 + 6));
    assert.equal(meta.height, 22 + 2 * (96 + 34 + 6) + 6);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number): number[] => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    assert.deepEqual(at(6 + 48, 22 + 48), [255, 0, 0], 'first cell is the red image, upscaled');
    assert.deepEqual(at(2, 22 + 48), [255, 255, 255], 'white gap');
  });
});

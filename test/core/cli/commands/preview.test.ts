/** `slipkit preview` end to end on synthetic shapes (synthetic data) with the SLIP view fragment. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { strict as assert } from 'node:assert';
import sharp from 'sharp';
import { makeCliContext } from '../../../../core/cli/context';
import { main } from '../../../../core/cli/main';
import { builtinPlugins } from '../../../../plugins/index';
import { repoRoot } from '../../../helpers/paths';
import { captureStream, tempDir } from '../../../helpers/runs';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = captureStream();
  const err = captureStream();
  const code = await main(['node', 'slipkit', ...args], builtinPlugins, makeCliContext(builtinPlugins, out, err));
  return { code, out: out.text(), err: err.text() };
}

describe('slipkit preview', () => {
  let dir: string;
  before(() => {
    dir = tempDir('preview');
    const spec = {
      name: 'preview-test',
      extends: path.join(repoRoot, 'experiments', 'views', 'slip.json'),
      backend: 'cpu',
      data: { train: { type: 'synthetic-shapes', count: 16, size: 24 }, imageSize: 24, workers: 0 },
      model: { image: { type: 'vit', preset: 'tiny', patchSize: 8 } },
      objectives: [{ type: 'clip' }, { type: 'simclr', views: ['ssl', 'ssl'] }],
      train: { steps: 1, batchSize: 4 },
    };
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a PNG with every sample: its original, its three SLIP views and its caption', async () => {
    const out = path.join(dir, 'out', 'views.png');
    const r = await cli('preview', path.join(dir, 'spec.json'), '--out', out, '--n', '3', '--set', 'seed=2');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `wrote ${out}: 3 samples x 4 columns (original, clip#0, ssl#0, ssl#1)\n`);
    const meta = await sharp(out).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 6 + 4 * (96 + 6));
    assert.equal(meta.height, 22 + 3 * (96 + 34 + 6) + 6);
  });

  it('exits 2 with a readable error for a bad spec or --n', async () => {
    const bad = await cli('preview', path.join(dir, 'spec.json'), '--set', 'data.train.count=0');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /data\.train\.count: must be >= 1/);
    const n = await cli('preview', path.join(dir, 'spec.json'), '--n', 'zero');
    assert.equal(n.code, 2);
    assert.match(n.err, /--n <count>' argument 'zero' is invalid\. must be a positive integer/);
  });

  it('labels multi-crop local crops with their size and masked views with their ratio', async () => {
    const out = path.join(dir, 'out', 'multicrop.png');
    const local = [{ type: 'random-resized-crop', scale: [0.05, 0.4], size: 16 }];
    const masked = [{ type: 'random-resized-crop' }, { type: 'patch-mask', ratio: 0.75 }];
    const r = await cli(
      'preview', path.join(dir, 'spec.json'), '--out', out, '--n', '2',
      '--set', `views.local=${JSON.stringify(local)}`, '--set', `views.clip=${JSON.stringify(masked)}`,
      '--set', 'objectives[1]={"type":"dino","views":["ssl","ssl","local"],"outDim":16,"head":{"hidden":[8],"bottleneck":8}}',
    );
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `wrote ${out}: 2 samples x 5 columns (original, clip#0 (mask 0.75), ssl#0, ssl#1, local#0 (16 px))\n`);
  });
});

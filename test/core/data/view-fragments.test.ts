/**
 * The ready view fragments in experiments/views/ (SLIP, MoCo v3, CLIP): a spec that
 * extends one validates, its views build, and they carry the published recipes' settings.
 * Synthetic random images.
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { strict as assert } from 'node:assert';
import { container } from 'tsyringe';
import { applyView, buildViews } from '../../../core/data/views';
import { Logger } from '../../../core/logger';
import { PluginBuilder } from '../../../core/plugins/builder';
import type { PluginBlock } from '../../../core/plugins/define';
import { PluginRegistry } from '../../../core/plugins/registry';
import { Rng } from '../../../core/random';
import { resolveExperiment } from '../../../core/spec/resolve';
import { builtinPlugins } from '../../../plugins/index';
import { repoRoot } from '../../helpers/paths';
import { randomBatch } from '../../plugins/augmentations/helpers';
import { tempDir } from './helpers/image-files';

type Views = Record<string, PluginBlock[]>;

function resolveWith(fragment: string, objectives: unknown[]): Views {
  const dir = tempDir('views');
  const spec = {
    name: 'fragment-check',
    extends: path.join(repoRoot, 'experiments', 'views', fragment),
    data: { train: { type: 'synthetic-shapes', count: 4, size: 16 }, imageSize: 16 },
    model: { image: { type: 'vit', preset: 'tiny', patchSize: 4 } },
    objectives,
    train: { steps: 1, batchSize: 2 },
  };
  fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
  const registry = new PluginRegistry();
  registry.registerAll(builtinPlugins, 'test');
  const loaded = resolveExperiment(path.join(dir, 'spec.json'), registry);
  const views = loaded.spec.views as Views;
  const builder = new PluginBuilder({
    registry,
    container: container.createChildContainer(),
    log: new Logger('silent'),
    seed: 0,
    baseDir: dir,
    settings: { imageSize: 16, embedDim: 8 },
  });
  const built = buildViews(views, builder);
  const { tensor } = randomBatch(2, 18, 18, 3);
  for (const [name, pipeline] of Object.entries(built)) {
    const out = applyView(tensor, pipeline, new Rng(1), 16);
    assert.deepEqual(out.shape, [2, 16, 16, 3], name);
    out.dispose();
  }
  tensor.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
  return views;
}

const step = (views: Views, view: string, type: string): PluginBlock | undefined => views[view].find((b) => b.type === type);

describe('view fragments (experiments/views)', () => {
  it('slip.json: the CLIP crop and the SimCLR augmentation SLIP trains with', () => {
    const views = resolveWith('slip.json', [{ type: 'simclr', views: ['ssl', 'ssl'] }]);
    assert.deepEqual(step(views, 'clip', 'random-resized-crop')!.scale, [0.5, 1]);
    assert.deepEqual(step(views, 'ssl', 'random-resized-crop')!.scale, [0.08, 1]);
    const jitter = step(views, 'ssl', 'color-jitter')!;
    assert.deepEqual([jitter.brightness, jitter.contrast, jitter.saturation, jitter.hue, jitter.p], [0.4, 0.4, 0.4, 0.1, 0.8]);
    assert.equal(step(views, 'ssl', 'grayscale')!.p, 0.2);
    assert.deepEqual([step(views, 'ssl', 'gaussian-blur')!.sigma, step(views, 'ssl', 'gaussian-blur')!.p], [[0.1, 2], 0.5]);
    assert.equal(step(views, 'ssl', 'horizontal-flip')!.p, 0.5);
    assert.equal(views.ssl.at(-1)!.type, 'normalize');
  });

  it("mocov3.json: MoCo v3's asymmetric pair (blur 1.0 / 0.1, solarize 0 / 0.2, saturation 0.2)", () => {
    const views = resolveWith('mocov3.json', [{ type: 'mocov3', views: ['mocov3-1', 'mocov3-2'] }]);
    assert.equal(step(views, 'mocov3-1', 'gaussian-blur')!.p, 1);
    assert.equal(step(views, 'mocov3-2', 'gaussian-blur')!.p, 0.1);
    assert.equal(step(views, 'mocov3-1', 'solarize'), undefined);
    assert.equal(step(views, 'mocov3-2', 'solarize')!.p, 0.2);
    for (const v of ['mocov3-1', 'mocov3-2']) assert.equal(step(views, v, 'color-jitter')!.saturation, 0.2);
  });

  it("clip.json: CLIP's crop (scale 0.5-1)", () => {
    const views = resolveWith('clip.json', [{ type: 'clip' }]);
    assert.deepEqual(Object.keys(views), ['clip']);
    assert.deepEqual(step(views, 'clip', 'random-resized-crop')!.scale, [0.5, 1]);
  });
});

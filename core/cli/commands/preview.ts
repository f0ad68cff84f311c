import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { container } from 'tsyringe';
import { selectBackend } from '../../backend';
import { loadSizeFor } from '../../data/loader';
import { previewViews, renderPreviewPng, viewColumns } from '../../data/preview';
import { buildViews, viewPatchMaskRatio } from '../../data/views';
import { log } from '../../logger';
import { PluginBuilder } from '../../plugins/builder';
import { resolveExperiment } from '../../spec/resolve';
import type { CliContext } from '../context';
import { collect, integerOption } from '../options';

const positiveInt = integerOption(1, 'a positive integer');

export function registerPreview(program: Command, ctx: CliContext): void {
  program
    .command('preview')
    .description("write a PNG grid of N training samples: each one's original, all its views and its caption")
    .argument('<spec>', 'spec file')
    .option('--out <file>', 'PNG file to write', 'views.png')
    .option('--n <count>', 'number of samples', positiveInt, 8)
    .option('--set <path=value>', 'override a value (repeatable)', collect, [])
    .action(async (file: string, opts: { out: string; n: number; set: string[] }) => {
      const registry = ctx.registry();
      const { spec } = resolveExperiment(file, registry, opts.set);
      await selectBackend(spec.backend, log);
      const builder = PluginBuilder.forSpec(spec, registry, log, container.createChildContainer());
      const dataset = builder.build('dataset', spec.data.train, 'data.train');
      const views = buildViews(spec.views, builder);
      // The image encoder's patch side, to show which patches a masked view drops (it is built, untrained, for that alone).
      const patchSize = Object.values(views).some((p) => viewPatchMaskRatio(p) !== undefined) ? builder.build('imageEncoder', spec.model.image, 'model.image').patchSize : undefined;
      const objectiveViews = spec.objectives.map((o) => (Array.isArray(o.views) ? o.views.filter((v): v is string => typeof v === 'string') : []));
      const grid = await previewViews(dataset, viewColumns(views, objectiveViews), {
        samples: opts.n,
        imageSize: spec.data.imageSize,
        patchSize,
        loadSize: loadSizeFor(spec.data),
        workers: spec.data.workers,
        seed: spec.seed,
        log,
      });
      const png = await renderPreviewPng(grid);
      fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
      fs.writeFileSync(opts.out, png);
      ctx.stdout.write(`wrote ${opts.out}: ${grid.captions.length} samples x ${grid.columns.length} columns (${grid.columns.map((c) => c.title).join(', ')})\n`);
    });
}

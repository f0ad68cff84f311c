import type { Dataset, Sample, SampleOptions } from '../../core/contracts/dataset';
import { indexedSamples } from '../../core/data/indexed';
import { withDefaults } from '../../core/plugins/options';
import { SHAPES, makeScene, renderScene, sceneCaptions } from '../../core/data/shapes';
import { definePlugin } from '../../core/plugins/define';
import { Rng } from '../../core/random';
import type { JsonSchema } from '../../core/spec/json-schema';

export interface SyntheticShapesOptions {
  count: number;
  size: number;
  maxObjects: 1 | 2;
  seed: number;
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    count: { type: 'integer', minimum: 1, default: 1000, description: 'Number of images.' },
    size: { type: 'integer', minimum: 8, default: 64, description: 'Side of the drawn images in pixels.' },
    maxObjects: { enum: [1, 2], default: 2, description: 'Shapes per image: 1, or 1-2 (two-shape scenes get a spatial relation).' },
    seed: { type: 'integer', minimum: 0, default: 0, description: 'Seed of the scenes (the experiment seed only shuffles them).' },
  },
};

/**
 * Synthetic data, never real: procedurally drawn coloured shapes with compositional
 * captions ("a small red circle on the left of a large blue square"). Image i depends
 * only on (seed, i), so any count and size is reproducible without files. The label is
 * the first-named shape (circle, square, triangle), for zero-shot and probe checks.
 */
export class SyntheticShapes implements Dataset {
  readonly classNames = SHAPES;
  readonly promptTemplates = ['a photo of a {}.', 'a drawing of a {}.', 'a {} shape.'] as const;
  private readonly options: SyntheticShapesOptions;

  constructor(options: Partial<SyntheticShapesOptions> = {}) {
    this.options = withDefaults(schema, options);
  }

  async size(): Promise<number> {
    return this.options.count;
  }

  samples(options: SampleOptions): AsyncIterable<Sample> {
    const { count, size, maxObjects, seed } = this.options;
    return indexedSamples(count, options, (i) => {
      const scene = makeScene(Rng.derive(seed, `synthetic-shapes:${i}`), size, maxObjects);
      return {
        key: `shapes-${seed}-${i}`,
        image: { kind: 'pixels', pixels: renderScene(scene, size), width: size, height: size, channels: 3, origin: `synthetic-shapes(seed ${seed})#${i}` },
        captions: sceneCaptions(scene),
        label: SHAPES.indexOf(scene.objects[0].shape),
      };
    });
  }
}

export default definePlugin<'dataset', Partial<SyntheticShapesOptions>>({
  kind: 'dataset',
  name: 'synthetic-shapes',
  description: 'Synthetic coloured shapes with compositional captions, deterministic by seed, no files (for tests and demos).',
  schema,
  create: (options) => new SyntheticShapes(options),
});

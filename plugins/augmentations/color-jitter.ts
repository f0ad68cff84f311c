import * as tf from '@tensorflow/tfjs';
import type { Augmentation } from '../../core/contracts/augmentation';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  applyGroups,
  perSample,
  type SampleGroup,
} from '../../core/data/image-ops';
import { withDefaults } from '../../core/data/plugin-options';
import { rangeAround } from '../../core/data/random-params';
import { definePlugin } from '../../core/plugins/define';
import type { Rng } from '../../core/random';
import type { JsonSchema } from '../../core/spec/json-schema';

type Amount = number | [number, number];

export interface ColorJitterOptions {
  brightness: Amount;
  contrast: Amount;
  saturation: Amount;
  hue: Amount;
  p: number;
  randomOrder: boolean;
}

const ADJUSTMENTS = ['brightness', 'contrast', 'saturation', 'hue'] as const;
type Adjustment = (typeof ADJUSTMENTS)[number];

const APPLY: Record<Adjustment, (x: tf.Tensor4D, factors: tf.Tensor4D) => tf.Tensor4D> = {
  brightness: adjustBrightness,
  contrast: adjustContrast,
  saturation: adjustSaturation,
  hue: adjustHue,
};

const amount = (description: string, max?: number): JsonSchema => ({
  description,
  default: 0,
  oneOf: [
    { type: 'number', minimum: 0, ...(max !== undefined ? { maximum: max } : {}) },
    {
      type: 'array',
      items: { type: 'number', ...(max !== undefined ? { minimum: -max, maximum: max } : { minimum: 0 }) },
      minItems: 2,
      maxItems: 2,
    },
  ],
});

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    brightness: amount('x: factor uniform in [max(0, 1-x), 1+x]; or an explicit [min, max]. 0 disables.'),
    contrast: amount('x: factor uniform in [max(0, 1-x), 1+x] (blend with the mean luma); or [min, max]. 0 disables.'),
    saturation: amount('x: factor uniform in [max(0, 1-x), 1+x] (blend with the luma); or [min, max]. 0 disables.'),
    hue: amount('x: hue shift uniform in [-x, x] turns (x <= 0.5); or [min, max]. 0 disables.', 0.5),
    p: { type: 'number', minimum: 0, maximum: 1, default: 1, description: 'Probability of jittering each image (SLIP: 0.8).' },
    randomOrder: {
      type: 'boolean',
      default: true,
      description: 'Apply the four adjustments in a random order per image, as torchvision does; false: b, c, s, h.',
    },
  },
};

/** One image's draw: the order of its adjustments and their factors. */
interface JitterPlan {
  order: Adjustment[];
  factors: Record<Adjustment, number>;
}

/**
 * torchvision ColorJitter (wrapped in RandomApply with probability p): brightness,
 * contrast, saturation and hue factors drawn per image, applied in a random order per
 * image. The batch is processed slot by slot: at each slot every image goes through
 * the one adjustment its order puts there, grouped by adjustment.
 */
export class ColorJitter implements Augmentation {
  private readonly options: ColorJitterOptions;
  private readonly ranges: Partial<Record<Adjustment, [number, number]>> = {};

  constructor(options: Partial<ColorJitterOptions> = {}) {
    this.options = withDefaults(schema, options);
    for (const name of ADJUSTMENTS) {
      const value = this.options[name];
      const range = name === 'hue' ? rangeAround(value, 0) : rangeAround(value, 1, 0);
      if (range[0] > range[1]) throw new RangeError(`color-jitter ${name} must be [min, max], got ${JSON.stringify(value)}`);
      const identity = name === 'hue' ? 0 : 1;
      if (!(range[0] === identity && range[1] === identity)) this.ranges[name] = range;
    }
  }

  /** Draws each image's plan; undefined for images left untouched. */
  plan(rng: Rng, n: number): Array<JitterPlan | undefined> {
    const enabled = ADJUSTMENTS.filter((a) => this.ranges[a]);
    const plans: Array<JitterPlan | undefined> = [];
    for (let i = 0; i < n; i++) {
      if (!(rng.next() < this.options.p) || enabled.length === 0) {
        plans.push(undefined);
        continue;
      }
      const order = this.options.randomOrder ? rng.shuffle([...enabled]) : [...enabled];
      const factors = { brightness: 1, contrast: 1, saturation: 1, hue: 0 };
      for (const a of enabled) factors[a] = rng.uniform(this.ranges[a]![0], this.ranges[a]![1]);
      plans.push({ order, factors });
    }
    return plans;
  }

  apply(images: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    const plans = this.plan(rng, images.shape[0]);
    const slots = Math.max(0, ...plans.map((p) => p?.order.length ?? 0));
    return tf.tidy(() => {
      let x = images;
      for (let slot = 0; slot < slots; slot++) {
        const groups: SampleGroup[] = ADJUSTMENTS.map((adjustment) => ({
          positions: plans.flatMap((p, i) => (p?.order[slot] === adjustment ? [i] : [])),
          transform: (subset, positions) => APPLY[adjustment](subset, perSample(positions.map((i) => plans[i]!.factors[adjustment]))),
        }));
        x = applyGroups(x, groups);
      }
      return x === images ? images.clone() : x;
    });
  }
}

export default definePlugin<'augmentation', Partial<ColorJitterOptions>>({
  kind: 'augmentation',
  name: 'color-jitter',
  description: 'Random brightness, contrast, saturation and hue per image (torchvision ColorJitter), with probability p.',
  schema,
  create: (options) => new ColorJitter(options),
});

import * as tf from '@tensorflow/tfjs';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  type Augmentation,
  definePlugin,
  type JsonSchema,
  rangeAround,
  type Rng,
  sampleRng,
  withDefaults,
} from '../../core/toolkit';

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

const APPLY: Record<Exclude<Adjustment, 'hue'>, (x: tf.Tensor4D, factors: readonly number[]) => tf.Tensor4D> = {
  brightness: adjustBrightness,
  contrast: adjustContrast,
  saturation: adjustSaturation,
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
 * image. The batch is processed slot by slot: at each slot every image goes through the
 * one adjustment its order puts there. Expects pixels in [0, 1] (place it before
 * normalize): images it leaves alone pass through exactly only when they are in range.
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
      const r = sampleRng(rng, i);
      if (!(r.next() < this.options.p) || enabled.length === 0) {
        plans.push(undefined);
        continue;
      }
      const order = this.options.randomOrder ? r.shuffle([...enabled]) : [...enabled];
      const factors = { brightness: 1, contrast: 1, saturation: 1, hue: 0 };
      for (const a of enabled) factors[a] = r.uniform(this.ranges[a]![0], this.ranges[a]![1]);
      plans.push({ order, factors });
    }
    return plans;
  }

  apply(images: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    const drawn = this.plan(rng, images.shape[0]);
    const slots = Math.max(0, ...drawn.map((p) => p?.order.length ?? 0));
    if (slots === 0) return images.clone();
    // Images are first reordered by the slot in which they rotate hue (hue needs its own
    // subset, below), so that each slot's hue subset is one contiguous slice: two gathers
    // in all instead of several per slot.
    const hueSlot = (p: JitterPlan | undefined): number => (p ? p.order.indexOf('hue') : -1);
    const rank = (p: JitterPlan | undefined): number => (hueSlot(p) < 0 ? slots : hueSlot(p));
    const order = drawn.map((_, i) => i).sort((a, b) => rank(drawn[a]) - rank(drawn[b]) || a - b);
    const plans = order.map((i) => drawn[i]);
    const inverse = new Int32Array(order.length);
    order.forEach((from, to) => (inverse[from] = to));
    const reordered = order.some((from, to) => from !== to);
    return tf.tidy(() => {
      let x = reordered ? (tf.gather(images, tf.tensor1d(order, 'int32')) as tf.Tensor4D) : images;
      for (let slot = 0; slot < slots; slot++) {
        const at = (i: number): Adjustment | undefined => plans[i]?.order[slot];
        // Brightness, contrast and saturation run on the whole batch, with the identity
        // factor 1 (which scales and blends exactly to the input) for every image whose
        // order puts another adjustment in this slot: cheap elementwise ops beat moving
        // images around. Hue has no exact identity and costs more: only its slice runs it.
        for (const adjustment of ['brightness', 'contrast', 'saturation'] as const) {
          if (!plans.some((_, i) => at(i) === adjustment)) continue;
          x = APPLY[adjustment](x, plans.map((p, i) => (at(i) === adjustment ? p!.factors[adjustment] : 1)));
        }
        const first = plans.findIndex((p) => hueSlot(p) === slot);
        if (first < 0) continue;
        const end = first + plans.filter((p) => hueSlot(p) === slot).length;
        const shifts = plans.slice(first, end).map((p) => p!.factors.hue);
        x = spliceBatch(x, first, end, (part) => adjustHue(part, shifts));
      }
      return reordered ? (tf.gather(x, tf.tensor1d(inverse, 'int32')) as tf.Tensor4D) : x;
    });
  }
}

/** Replaces images [start, end) of a batch by `transform` of them (slices and one concat). */
function spliceBatch(x: tf.Tensor4D, start: number, end: number, transform: (part: tf.Tensor4D) => tf.Tensor4D): tf.Tensor4D {
  const n = x.shape[0];
  const middle = transform(start === 0 && end === n ? x : x.slice(start, end - start));
  if (start === 0 && end === n) return middle;
  const parts = [...(start > 0 ? [x.slice(0, start)] : []), middle, ...(end < n ? [x.slice(end, n - end)] : [])];
  return tf.concat(parts, 0) as tf.Tensor4D;
}

export default definePlugin<'augmentation', Partial<ColorJitterOptions>>({
  kind: 'augmentation',
  name: 'color-jitter',
  description: 'Random brightness, contrast, saturation and hue per image (torchvision ColorJitter), with probability p.',
  schema,
  create: (options) => new ColorJitter(options),
});

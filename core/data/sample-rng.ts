import { Rng } from '../random';

/**
 * The random stream handed to a view's augmentations for one batch, keyed per sample: the
 * draws for sample i come from a stream derived from (seed, epoch, view instance, sample key)
 * alone, so a sample is augmented the same way whatever batch, rank or world size it lands
 * in. Augmentations reach a sample's stream through `sampleRng(rng, i)`; draws made from the
 * batch stream itself (an external augmentation that does not ask per sample) continue the
 * engine's stateful augmentation stream, as before.
 */
export class SampleKeyedRng extends Rng {
  private readonly streams = new Map<number, Rng>();

  constructor(
    private readonly base: Rng,
    private readonly seed: number,
    private readonly label: string,
    private readonly keys: readonly string[],
  ) {
    super(base.state());
  }

  /** Sample i's own stream (the same Rng on every call within this batch). */
  sample(i: number): Rng {
    let r = this.streams.get(i);
    if (!r) {
      const key = this.keys[i];
      if (key === undefined) throw new RangeError(`sample ${i} is outside this batch of ${this.keys.length}`);
      r = Rng.derive(this.seed, `${this.label}:${key}`);
      this.streams.set(i, r);
    }
    return r;
  }

  /** Hands the batch stream's position back to the engine's stream it started from. */
  release(): void {
    this.base.setState(this.state());
  }
}

/** The stream for sample i: its own under a SampleKeyedRng, else the shared batch stream (plain Rng: tests, previews). */
export function sampleRng(rng: Rng, i: number): Rng {
  return rng instanceof SampleKeyedRng ? rng.sample(i) : rng;
}

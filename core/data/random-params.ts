import type { Rng } from '../random';
import { sampleRng } from './sample-rng';

/**
 * One "apply?" decision per sample (from the sample's own stream under a SampleKeyedRng), each a fresh draw (also for p = 0 or 1), so the
 * stream an augmentation consumes does not depend on its probability setting.
 */
export function drawFlags(rng: Rng, count: number, p: number): boolean[] {
  const flags: boolean[] = [];
  for (let i = 0; i < count; i++) flags.push(sampleRng(rng, i).next() < p);
  return flags;
}

/** A [lo, hi] range from torchvision's "number or pair" convention around a centre value. */
export function rangeAround(value: number | readonly [number, number], centre: number, floor = -Infinity): [number, number] {
  if (typeof value !== 'number') return [value[0], value[1]];
  return [Math.max(floor, centre - value), centre + value];
}

import { allReduceMean, allReduceMeanGradients } from '../distributed/tensor-collectives';
import type { World } from '../distributed/world';
import type { StepOutcome } from './step';

/**
 * Makes a rank's step outcome the world's: gradients averaged over the ranks in flat
 * buckets, and the loss, per-objective losses and metrics averaged too, so every rank
 * applies the same update and rank 0 logs the global batch's figures. Metric names are
 * taken in sorted order, the same on every rank.
 */
export function reduceOverWorld(world: World, out: StepOutcome): StepOutcome {
  if (world.size === 1) return out;
  const grads = allReduceMeanGradients(world, out.grads);
  const names = Object.keys(out.metrics).sort();
  const figures = allReduceMean(world, [out.total, ...out.losses, ...names.map((n) => out.metrics[n])]);
  const losses = figures.slice(1, 1 + out.losses.length);
  const metrics = Object.fromEntries(names.map((n, i) => [n, figures[1 + losses.length + i]]));
  return { grads, total: figures[0], losses, metrics };
}

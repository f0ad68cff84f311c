import * as tf from '@tensorflow/tfjs';
import { allReduceMean, allReduceMeanGradients } from '../distributed/tensor-collectives';
import type { World } from '../distributed/world';
import type { Figures } from './step-figures';

/**
 * Makes a rank's gradients the world's: averaged over the ranks in flat buckets, so every
 * rank applies the same update (the map's tensors are replaced).
 */
export function reduceGradientsOverWorld(world: World, grads: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  return world.size === 1 ? grads : allReduceMeanGradients(world, grads);
}

/**
 * Makes a rank's step figures the world's: the loss, per-objective losses and metrics
 * averaged over the ranks, so rank 0 logs the global batch's figures. Metric names are taken
 * in sorted order, the same on every rank.
 */
export function reduceFiguresOverWorld(world: World, figures: Figures): Figures {
  if (world.size === 1) return figures;
  const names = Object.keys(figures.metrics).sort();
  const all = allReduceMean(world, [figures.total, ...figures.losses, ...names.map((n) => figures.metrics[n])]);
  const losses = all.slice(1, 1 + figures.losses.length);
  const metrics = Object.fromEntries(names.map((n, i) => [n, all[1 + losses.length + i]]));
  return { total: all[0], losses, metrics };
}

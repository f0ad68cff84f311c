import { RankShard } from '../data/shard';
import type { World } from '../distributed/world';
import { TrainingError } from '../errors';
import type { Experiment } from './experiment';

/**
 * This rank's share of the training data in a data-parallel run, or undefined in one process.
 * `train.batchSize` stays the global batch: each of the world's ranks takes
 * batchSize / (accumulate × size) samples per micro-batch, which must be a whole number, and
 * the dataset's length must be known so that every rank drops the same partial global batch.
 */
export async function rankShard(exp: Pick<Experiment, 'spec' | 'dataset'>, world: World | undefined): Promise<RankShard | undefined> {
  if (!world || world.size === 1) return undefined;
  const { batchSize, accumulate } = exp.spec.train;
  const micro = batchSize / accumulate;
  if (!Number.isInteger(micro / world.size)) {
    throw new TrainingError(`train.batchSize ${batchSize} (micro-batch ${micro} with accumulate ${accumulate}) does not split evenly over ${world.size} ranks`);
  }
  const epochSize = await exp.dataset.size();
  if (epochSize === undefined) {
    throw new TrainingError(`data.train (${exp.spec.data.train.type}) does not know its length, which a run on ${world.size} ranks needs to shard every epoch the same way`);
  }
  return new RankShard(world.rank, world.size, micro / world.size, epochSize);
}

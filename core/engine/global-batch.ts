import type * as tf from '@tensorflow/tfjs';
import type { Objective, ObjectiveOutput } from '../contracts/objective';
import { allGather, allGatherWithGrad } from '../distributed/tensor-collectives';
import { withSyncedBatchStats } from '../distributed/sync-batch-stats';
import type { World } from '../distributed/world';
import { Memo, type FeatureSources } from './step-inputs';

/**
 * The feature sources of the global batch: every rank's rows of each view, embedding and
 * caption gathered in rank order (with gradient, so the backward pass hands each rank the
 * gradient of its own rows), at most once per step and key. EMA features are gathered
 * without gradient.
 */
export function globalSources(local: FeatureSources, world: World): FeatureSources {
  const memo = new Memo<tf.Tensor2D>();
  return {
    features: (key) => memo.get(`features:${key}`, () => allGatherWithGrad(world, local.features(key))),
    imageEmbedding: (key) => memo.get(`image:${key}`, () => allGatherWithGrad(world, local.imageEmbedding(key))),
    textEmbedding: () => memo.get('text', () => allGatherWithGrad(world, local.textEmbedding())),
    momentumFeatures: (slot, key) => memo.get(`momentum:${slot}:${key}`, () => allGather(world, local.momentumFeatures(slot, key))),
    tokens: () => perRankOnly('tokens'),
    images: () => perRankOnly('images'),
  };
}

/**
 * Token sequences and pixels stay on their rank (a masked view's kept patches differ per
 * image, and gathering pixels costs more than any loss on them is worth): an objective that
 * reads them computes per rank, so it must not declare needsGlobalBatch.
 */
function perRankOnly(what: 'tokens' | 'images'): never {
  throw new Error(`an objective that needs the global batch read ${what}(i): ${what} are not gathered across ranks; such an objective must compute per rank (needsGlobalBatch unset)`);
}

/**
 * Runs one objective the way the world needs it: an objective that declares
 * `needsGlobalBatch` (contrastive losses, batch-wide statistics) computes on the gathered
 * batch; any other computes on this rank's rows with its BatchNorm statistics synchronised
 * over the ranks (SyncBatchNorm). In the world of one both are the plain computation.
 */
export function computeOnWorld(
  world: World | undefined,
  objective: Pick<Objective, 'needsGlobalBatch'>,
  local: FeatureSources,
  global: () => FeatureSources,
  compute: (src: FeatureSources) => ObjectiveOutput,
): ObjectiveOutput {
  if (!world || world.size === 1) return compute(local);
  if (objective.needsGlobalBatch) return compute(global());
  return withSyncedBatchStats(world, () => compute(unsynced(local)));
}

/**
 * The sources with batch statistics left local while they compute: the encoders and
 * projections a local objective happens to run first (they are memoised) must not depend on
 * which objective asked for them first. Only the objective's own heads are synchronised.
 */
function unsynced(src: FeatureSources): FeatureSources {
  const local = <T>(fn: () => T): T => withSyncedBatchStats(undefined, fn);
  return {
    features: (key) => local(() => src.features(key)),
    imageEmbedding: (key) => local(() => src.imageEmbedding(key)),
    textEmbedding: () => local(() => src.textEmbedding()),
    momentumFeatures: (slot, key) => local(() => src.momentumFeatures(slot, key)),
    tokens: (key) => local(() => src.tokens(key)),
    images: (key) => src.images(key),
  };
}

export type { World, CollectiveBuffer } from './world';
export { isLeader } from './world';
export { LocalWorld } from './local-world';
export { MpiWorld, DEFAULT_COLLECTIVE_TIMEOUT_S } from './mpi-world';
export { CollectiveError } from './collective-error';
export { detectLaunch, type LaunchInfo } from './detect';
export { openWorld, currentWorld, closeWorld, shareCores, threadsPerRank, collectiveTimeoutS } from './open-world';
export { allGather, allGatherWithGrad, allReduceMean, allReduceMeanGradients, allReduceSumWithGrad, broadcastVariables, collectiveTime, resetCollectiveTime } from './tensor-collectives';
export { standardizeGlobalBatch, syncedBatchStatsWorld, withSyncedBatchStats } from './sync-batch-stats';

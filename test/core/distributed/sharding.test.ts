import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { RankShard } from '../../../core/data/shard';
import { SampleKeyedRng, sampleRng } from '../../../core/data/sample-rng';
import { detectLaunch, threadsPerRank, shareCores, LocalWorld, allReduceMeanGradients, allGatherWithGrad } from '../../../core/distributed';
import { Rng } from '../../../core/random';

describe('data-parallel sharding (RankShard)', () => {
  it('gives each rank a disjoint block of every global batch; in rank order they are the single-process batch', () => {
    const size = 3;
    const local = 4;
    const epoch = 50; // 4 whole global batches of 12, then 2 positions dropped on every rank
    const shards = Array.from({ length: size }, (_, r) => new RankShard(r, size, local, epoch));
    const owned = shards.map((s) => Array.from({ length: epoch }, (_, p) => p).filter((p) => s.owns(p)));
    for (const o of owned) assert.equal(o.length, 16);
    for (let step = 0; step < 4; step++) {
      const union = shards.flatMap((_, r) => owned[r].slice(step * local, (step + 1) * local));
      assert.deepEqual(union, Array.from({ length: 12 }, (_, i) => step * 12 + i));
    }
    assert.ok(shards.every((s) => !s.owns(48) && !s.owns(49)), 'the last partial global batch is dropped everywhere');
  });

  it('reports the whole world\'s position, so rank 0\'s checkpoint resumes every rank', () => {
    const s0 = new RankShard(0, 2, 4, 100);
    const s1 = new RankShard(1, 2, 4, 100);
    // Step 2 (positions 8..15): rank 0 ends at 12, rank 1 at 16; both are at 16.
    assert.equal(s0.worldOffset(12), 16);
    assert.equal(s1.worldOffset(16), 16);
  });

  it('refuses a rank outside the world', () => {
    assert.throws(() => new RankShard(2, 2, 4, 100), /rank 2 is outside a world of 2/);
  });
});

describe('per-sample augmentation streams (SampleKeyedRng)', () => {
  it('draws the same numbers for a sample whatever batch or position it is in', () => {
    const a = new SampleKeyedRng(new Rng(1), 7, 'augment:0:ssl#0', ['k0', 'k1', 'k2', 'k3']);
    const b = new SampleKeyedRng(new Rng(99), 7, 'augment:0:ssl#0', ['k2', 'k3']);
    assert.deepEqual([sampleRng(b, 0).next(), sampleRng(b, 1).next()], [sampleRng(a, 2).next(), sampleRng(a, 3).next()]);
    const otherEpoch = new SampleKeyedRng(new Rng(1), 7, 'augment:1:ssl#0', ['k2']);
    assert.notEqual(sampleRng(otherEpoch, 0).next(), new SampleKeyedRng(new Rng(1), 7, 'augment:0:ssl#0', ['k2']).sample(0).next());
  });

  it('is the shared stream itself for a plain Rng (augmentation tests and previews)', () => {
    const r = new Rng(3);
    assert.equal(sampleRng(r, 5), r);
  });
});

describe('launch detection and core sharing', () => {
  it('reads mpirun, srun --mpi=pmix and no launcher from the environment', () => {
    assert.deepEqual(detectLaunch({ OMPI_COMM_WORLD_SIZE: '4', OMPI_COMM_WORLD_RANK: '2', OMPI_COMM_WORLD_LOCAL_SIZE: '2' }), { launcher: 'mpirun', size: 4, rank: 2, localSize: 2 });
    assert.deepEqual(detectLaunch({ SLURM_NTASKS: '8', SLURM_PROCID: '5', PMIX_RANK: '5', SLURM_STEP_ID: '0' }), { launcher: 'srun', size: 8, rank: 5, localSize: undefined });
    assert.deepEqual(detectLaunch({}), { launcher: 'none', size: 1, rank: 0 });
    assert.deepEqual(detectLaunch({ OMPI_COMM_WORLD_SIZE: '4', SLIPKIT_WORLD: 'local' }), { launcher: 'none', size: 1, rank: 0 });
  });

  it('refuses a multi-task SLURM step without PMIx, naming the fix', () => {
    assert.throws(() => detectLaunch({ SLURM_NTASKS: '2', SLURM_PROCID: '1', SLURM_STEP_ID: '0' }), /srun --mpi=pmix/);
  });

  it('gives each rank its share of the node\'s cores, keeping what the user set', () => {
    assert.equal(threadsPerRank(16, 4), 4);
    assert.equal(threadsPerRank(2, 3), 1);
    const env: NodeJS.ProcessEnv = { OMP_NUM_THREADS: '3' };
    assert.equal(shareCores(2, env, 8), 4);
    assert.deepEqual([env.TF_NUM_INTRAOP_THREADS, env.SLIPKIT_OP_THREADS, env.OMP_NUM_THREADS], ['4', '4', '3']);
  });
});

describe('the world of one', () => {
  it('leaves gradients and gathers as they are, loading no MPI', () => {
    const world = new LocalWorld();
    const g = new Map([['w', tf.tensor1d([1, 2])]]);
    assert.equal(allReduceMeanGradients(world, g), g);
    const x = tf.tensor2d([[1, 2]]);
    assert.equal(allGatherWithGrad(world, x), x);
    tf.dispose([x, ...g.values()]);
  });
});

/**
 * One rank of a 2-rank job that stalls a collective on purpose (started by
 * test/distributed/collective-timeouts.test.ts under `mpirun -np 2`): rank 1 stops itself
 * (SIGSTOP) either before it reaches rank 0's all-reduce, or just after both ranks have passed
 * its arrival barrier, so that the all-reduce stalls inside its transfer. Rank 0 prints the
 * error its all-reduce throws, then ends the job as a failed run does.
 *
 *   node dist/test/helpers/collective-stall-worker.js <before-arrival|in-transfer> <timeoutS>
 */
import { MpiWorld } from '../../core/distributed/mpi-world';

function main(): void {
  const [where, timeoutS] = process.argv.slice(2);
  const world = new MpiWorld(Number(timeoutS));
  if (world.rank === 0) {
    try {
      world.allReduceSum(new Float32Array(1 << 20));
      console.log('rank 0: the all-reduce completed');
    } catch (err) {
      console.log(`rank 0 error: ${(err as Error).message}`);
    }
    world.abort(3);
    return;
  }
  // Rank 1's barrier pairs with the arrival barrier of rank 0's all-reduce (both are collective #1).
  if (where === 'in-transfer') world.barrier();
  process.kill(process.pid, 'SIGSTOP');
}

main();

import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { mpirunArgs, requireMpi, runProcess } from '../helpers/mpi';
import { repoRoot } from '../helpers/paths';

const WORKER = path.join(repoRoot, 'dist', 'test', 'helpers', 'collective-stall-worker.js');
const TIMEOUT_S = 2;

/**
 * A collective never blocks forever on a peer that stops (real mpirun, 2 ranks): whether the
 * peer stops before it reaches the collective or inside its transfer, rank 0's call throws
 * after the timeout and names the peer.
 */
describe('MPI collectives: a peer that stops before or inside a collective (real mpirun)', function () {
  this.timeout(60_000);
  before(requireMpi);

  async function stall(where: string): Promise<string> {
    const result = await runProcess('mpirun', [...mpirunArgs(2), process.execPath, WORKER, where, String(TIMEOUT_S)], { timeoutMs: 45_000 });
    assert.notEqual(result.code, 0, result.output.slice(-2000));
    assert.ok(result.seconds < 30, `the job took ${result.seconds} s to end`);
    const line = result.output.split('\n').find((l) => l.startsWith('rank 0 error: '));
    assert.ok(line, `rank 0 printed no error:\n${result.output.slice(-2000)}`);
    return line;
  }

  it('a peer that never arrives: the all-reduce times out at its barrier, naming the rank and the last collective it reached', async () => {
    const line = await stall('before-arrival');
    assert.match(line, /rank 0 of 2: collective #1 \(allreduce of 1048576 values\) timed out after 2000 ms; never reached by rank 1 \(last at collective #0\): it died or hangs/);
  });

  it('a peer that stops inside the transfer: the all-reduce times out there, and rank 1 is named as not answering', async () => {
    const line = await stall('in-transfer');
    assert.match(line, /rank 0 of 2: collective #1 \(allreduce of 1048576 values\) timed out after 2000 ms in the transfer, after every rank had reached it; rank 1 \(last at collective #1\) stopped answering inside it: it died or hangs/);
  });
});

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckpointStore } from '../../core/checkpoint/store';
import { mpirunArgs, rankPid, requireMpi, startProcess, type ProcessResult } from '../helpers/mpi';
import { repoRoot } from '../helpers/paths';
import { specPath, tempDir } from '../helpers/runs';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TIMEOUT_S = 4;

/**
 * Faults of a data-parallel run on real mpirun: a rank that hangs (SIGSTOP) or dies (SIGKILL)
 * after a checkpoint ends the whole job within a bounded time, with an error naming the rank
 * for the hang, and the last checkpoint intact.
 */
describe('data parallel on MPI: a rank that hangs or dies (real mpirun)', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    requireMpi();
    dir = tempDir('dp-faults');
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  /** Starts a long 2-rank run that checkpoints every 2 steps, waits for its checkpoint of step ≥ 4, then does `fault` to rank 1. */
  async function faultAfterCheckpoint(name: string, fault: (pid: number) => void): Promise<{ result: ProcessResult; runDir: string; faultAt: number }> {
    const runDir = path.join(dir, name);
    const cli = [path.join(repoRoot, 'bin', 'slipkit.js'), 'run', specPath('distributed', 'tiny-slip.json'), '--run-dir', runDir, '--set', 'train.steps=2000', '--set', 'train.checkpointEvery=2'];
    const { child, done } = startProcess('mpirun', [...mpirunArgs(2), process.execPath, ...cli], { env: { SLIPKIT_COLLECTIVE_TIMEOUT_S: String(TIMEOUT_S) }, timeoutMs: 150_000 });
    // The pointer file names the step; the directory it names may be pruned by the next save while we look.
    const pointer = path.join(runDir, 'checkpoints', 'last.json');
    for (let i = 0; i < 600; i++) {
      try {
        if ((JSON.parse(fs.readFileSync(pointer, 'utf8')) as { step: number }).step >= 4) break;
      } catch {
        // not written yet
      }
      await sleep(200);
    }
    const pid = rankPid(child.pid!, 1);
    assert.ok(pid, 'rank 1 of the job not found under mpirun');
    const faultAt = Date.now();
    fault(pid);
    const result = await done;
    return { result, runDir, faultAt };
  }

  it(`a hung rank: rank 0's collective times out after ${TIMEOUT_S} s naming rank 1, the job ends, the last checkpoint loads`, async () => {
    let stopped: number | undefined;
    const { result, runDir, faultAt } = await faultAfterCheckpoint('hang', (pid) => {
      stopped = pid;
      process.kill(pid, 'SIGSTOP');
    });
    try {
      const seconds = (Date.now() - faultAt) / 1000;
      assert.notEqual(result.code, 0, result.output.slice(-2000));
      // SIGSTOP lands wherever rank 1 is: before a collective (rank 1 never reaches it) or inside one (it stops answering).
      const timeout = `rank 0 of 2: collective #\\d+ \\([^)]*\\) timed out after ${TIMEOUT_S * 1000} ms`;
      const named = `(; never reached by rank 1 \\(last at collective #\\d+\\)| in the transfer, after every rank had reached it; rank 1 \\(last at collective #\\d+\\) stopped answering inside it)`;
      assert.match(result.output, new RegExp(timeout + named));
      assert.ok(seconds < TIMEOUT_S + 30, `the job took ${seconds} s to end after the hang`);
      const ckpt = new CheckpointStore(runDir).load('last');
      assert.ok(ckpt && ckpt.state.step >= 4, 'the last checkpoint loads');
      assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')).status, 'FAILED');
    } finally {
      if (stopped) {
        try {
          process.kill(stopped, 'SIGKILL');
        } catch {
          // mpirun ended it
        }
      }
    }
  });

  it('a killed rank: mpirun ends the job at once and says which rank died; the last checkpoint loads', async () => {
    const { result, runDir, faultAt } = await faultAfterCheckpoint('kill', (pid) => process.kill(pid, 'SIGKILL'));
    const seconds = (Date.now() - faultAt) / 1000;
    assert.notEqual(result.code, 0);
    assert.match(result.output, /rank 1 with PID \d+ on node \S+ exited on signal 9/);
    // mpirun hands each rank a pseudo-terminal; progress still comes as plain lines, not a redrawn bar.
    assert.match(result.output, /\bstep 2\/2000 loss \d/);
    assert.doesNotMatch(result.output, /\x1b\[/);
    assert.ok(seconds < TIMEOUT_S + 30, `the job took ${seconds} s to end after the kill`);
    const ckpt = new CheckpointStore(runDir).load('last');
    assert.ok(ckpt && ckpt.state.step >= 4, 'the last checkpoint loads');
  });
});

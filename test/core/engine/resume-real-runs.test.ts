import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nativeInstall } from '../../../core/backend';
import { readSafetensors, type SafeTensor } from '../../../core/checkpoint/safetensors';
import { Rng } from '../../../core/random';
import { runCli, runCliUntilKilled, type CliExit, type KillPoint } from '../../helpers/cli-process';
import { specPath, tempDir } from '../../helpers/runs';

/**
 * `slipkit resume` after a real SIGKILL continues real configurations bit for bit: the loss
 * curve (every metrics row) and the final weights equal those of an uninterrupted run. Each
 * case runs the CLI three times in child processes: straight through, killed at a seeded
 * random step after a checkpoint, and resumed. Synthetic data (synthetic-shapes) only.
 */

interface ResumeCase {
  title: string;
  spec: string;
  sets: string[];
  /** The objective labels whose losses every metrics row must carry. */
  objectives: string[];
  /** A tensor name the checkpoint must hold (what the case is about). */
  expectTensor: RegExp;
}

const STEPS = 10;
const CHECKPOINT_EVERY = 3;

const CASES: ResumeCase[] = [
  {
    title: 'SLIP (CLIP + SimCLR with the full SimCLR views, ViT + text transformer)',
    spec: 'slip.json',
    sets: [],
    objectives: ['clip', 'simclr'],
    expectTensor: /^transformer\.resblocks\./,
  },
  {
    title: 'CLIP + MoCo v3 (EMA momentum encoder and target projector)',
    spec: 'mocov3.json',
    sets: [],
    objectives: ['clip', 'mocov3'],
    expectTensor: /^mocov3\.ema\.visual\./,
  },
  {
    title: 'SLIP with gradient accumulation (train.accumulate=2)',
    spec: 'slip.json',
    sets: ['train.accumulate=2'],
    objectives: ['clip', 'simclr'],
    expectTensor: /^visual\./,
  },
  {
    title: 'SLIP with GradCache (train.gradCache.chunkSize=3)',
    spec: 'slip.json',
    sets: ['train.gradCache={"chunkSize":3}'],
    objectives: ['clip', 'simclr'],
    expectTensor: /^visual\./,
  },
];

/** Seed of the kill steps; set SLIPKIT_RESUME_KILL_SEED to replay another draw. */
const KILL_SEED = Number(process.env.SLIPKIT_RESUME_KILL_SEED ?? 12);

/** A step after the first checkpoint, not itself a checkpoint step, drawn from the seed; at least three steps before the end, so a loaded machine still kills the run before it finishes. */
function killStep(label: string): number {
  const candidates: number[] = [];
  for (let s = CHECKPOINT_EVERY + 1; s <= STEPS - 3; s++) if (s % CHECKPOINT_EVERY !== 0) candidates.push(s);
  return candidates[Rng.derive(KILL_SEED, label).int(candidates.length)];
}

function metricLines(runDir: string): string[] {
  return fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
}

function lastCheckpoint(runDir: string): { dir: string; step: number } {
  const pointer = JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoints', 'last.json'), 'utf8')) as { dir: string; step: number };
  return { dir: path.join(runDir, 'checkpoints', pointer.dir), step: pointer.step };
}

function runStatus(runDir: string): string {
  return (JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as { status: string }).status;
}

function bytesOf(t: SafeTensor): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Every tensor of two safetensors files equal byte for byte (same names, dtypes, shapes). */
function assertSameTensors(fileA: string, fileB: string): string[] {
  const a = readSafetensors(fileA).tensors;
  const b = readSafetensors(fileB).tensors;
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort(), `tensor names of ${fileB} vs ${fileA}`);
  const differing = [...a].filter(([name, t]) => {
    const u = b.get(name)!;
    return t.dtype !== u.dtype || t.shape.join() !== u.shape.join() || !bytesOf(t).equals(bytesOf(u));
  });
  assert.deepEqual(differing.map(([name]) => name), [], `${differing.length} of ${a.size} tensors differ between ${fileA} and ${fileB}`);
  return [...a.keys()];
}

function explain(exit: CliExit): string {
  return `exit code ${exit.code}, signal ${exit.signal}\nstdout:\n${exit.stdout.slice(-2000)}\nstderr:\n${exit.stderr.slice(-2000)}`;
}

function describeCase(c: ResumeCase, backend: string): void {
  const kill = killStep(`${c.title} on ${backend}`);
  describe(`resume after SIGKILL, bit for bit: ${c.title} on ${backend} (killed after step ${kill}; kill seed ${KILL_SEED})`, function () {
    this.timeout(240_000);
    let dir: string;
    let straightDir: string;
    let resumedDir: string;
    let straight: CliExit;
    let killed: CliExit & { killPoint?: KillPoint };
    let statusAfterKill: string;
    let resumedFrom: number;
    let resumed: CliExit;

    before(async () => {
      const started = performance.now();
      dir = tempDir('resume');
      straightDir = path.join(dir, 'straight');
      resumedDir = path.join(dir, 'killed');
      const args = (runDir: string) => [
        'run',
        specPath('resume', c.spec),
        '--set', `backend=${backend}`,
        '--set', `train.steps=${STEPS}`,
        '--set', `train.checkpointEvery=${CHECKPOINT_EVERY}`,
        ...c.sets.flatMap((s) => ['--set', s]),
        '--run-dir', runDir,
      ];
      // The two runs are independent: run them side by side (CI has two cores).
      [straight, killed] = await Promise.all([runCli(args(straightDir)), runCliUntilKilled(args(resumedDir), resumedDir, kill)]);
      // Read leniently: a run that died too early has no run.json or checkpoint, and the tests below say so.
      statusAfterKill = fs.existsSync(path.join(resumedDir, 'run.json')) ? runStatus(resumedDir) : 'no run.json';
      resumedFrom = fs.existsSync(path.join(resumedDir, 'checkpoints', 'last.json')) ? lastCheckpoint(resumedDir).step : -1;
      resumed = await runCli(['resume', resumedDir]);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`      SIGKILL sent after step ${killed.killPoint?.lastRowStep} (drawn: ${kill}); resumed from the checkpoint of step ${resumedFrom}; three runs took ${seconds} s`);
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('the uninterrupted run finishes', () => {
      assert.equal(straight.code, 0, explain(straight));
      assert.equal(runStatus(straightDir), 'FINISHED');
      assert.equal(lastCheckpoint(straightDir).step, STEPS);
    });

    it(`the other run dies of SIGKILL after step ${kill}, past a checkpoint and before the end`, () => {
      assert.equal(killed.signal, 'SIGKILL', explain(killed));
      assert.ok(killed.killPoint, 'the run ended before the test could kill it');
      assert.ok(killed.killPoint.lastRowStep >= kill && killed.killPoint.lastRowStep < STEPS, `killed after step ${killed.killPoint.lastRowStep}`);
      assert.equal(statusAfterKill, 'RUNNING', 'a killed process cannot mark its run');
      assert.ok(resumedFrom >= CHECKPOINT_EVERY && resumedFrom < STEPS && resumedFrom % CHECKPOINT_EVERY === 0, `last checkpoint at step ${resumedFrom}`);
    });

    it('`slipkit resume` finishes it', () => {
      assert.equal(resumed.code, 0, explain(resumed));
      assert.equal(runStatus(resumedDir), 'FINISHED');
      assert.equal(lastCheckpoint(resumedDir).step, STEPS);
    });

    it('metrics.jsonl has every step exactly once', () => {
      const steps = metricLines(resumedDir).map((l) => (JSON.parse(l) as { step: number }).step);
      assert.deepEqual(steps, Array.from({ length: STEPS }, (_, i) => i + 1));
    });

    it("every step's metrics row (loss, per-objective losses, lr, objective metrics) equals the uninterrupted run's, bit for bit", () => {
      const a = metricLines(straightDir);
      const b = metricLines(resumedDir);
      const row = JSON.parse(a[0]) as Record<string, number>;
      for (const key of ['loss', 'lr', ...c.objectives.map((o) => `${o}/loss`)]) assert.ok(key in row, `metrics rows carry ${key}`);
      // JSON writes doubles with the shortest text that reads back to the same bits: equal text is equal bits.
      const first = a.findIndex((line, i) => line !== b[i]);
      if (first >= 0) assert.fail(`first difference at row ${first + 1}:\n  uninterrupted ${a[first]}\n  resumed       ${b[first]}`);
      assert.equal(b.length, a.length);
    });

    it('the final model.safetensors and optimizer.safetensors equal the uninterrupted run\'s, every tensor byte for byte', () => {
      const a = lastCheckpoint(straightDir).dir;
      const b = lastCheckpoint(resumedDir).dir;
      const names = assertSameTensors(path.join(a, 'model.safetensors'), path.join(b, 'model.safetensors'));
      assert.ok(names.some((n) => c.expectTensor.test(n)), `the checkpoint holds a tensor matching ${c.expectTensor}: ${names.slice(0, 8).join(', ')}, ...`);
      assertSameTensors(path.join(a, 'optimizer.safetensors'), path.join(b, 'optimizer.safetensors'));
    });
  });
}

const native = nativeInstall();
for (const c of CASES) describeCase(c, 'cpu');
if (native.ready) {
  for (const c of CASES) describeCase(c, 'tensorflow');
} else if (process.env.CI === 'true') {
  describe('resume after SIGKILL on the native tensorflow backend', () => {
    it('needs the native backend under CI=true', () => {
      assert.fail(`CI=true needs the native tensorflow backend: ${native.problem}`);
    });
  });
}

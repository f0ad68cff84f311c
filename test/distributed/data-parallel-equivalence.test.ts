import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import type { WorkerCase, WorkerCaseResult } from '../helpers/data-parallel-worker';
import { requireMpi, trainOnRanks, type WorkerOutput } from '../helpers/mpi';
import { specPath, tempDir } from '../helpers/runs';

/**
 * The data-parallel engine against the single process, on real OpenMPI: `mpirun -np 2` at
 * global batch 8 (4 samples per rank) must apply the gradients one process applies at batch
 * 8 with the same seed, and follow the same 20-step loss curve. Covers objectives on the
 * gathered global batch (CLIP, SimCLR, both: SLIP; DINO with multi-crop views, its EMA teacher
 * and its batch-filled center; CLIP on a patch-masked view: FLIP) and a local one with
 * SyncBatchNorm and an EMA target (BYOL). The fixture trains at lr 1e-4 on the native backend: at 1e-3 these
 * 8-sample BatchNorm heads are chaotic enough that a 1e-6 relative change of the learning
 * rate in one process already moves BYOL's loss by 3e-3 within 20 steps (measured), which
 * would hide what this test is about.
 */

/** The whole gradient (every parameter's, as one vector): ‖g₂ − g₁‖ / ‖g₁‖. */
const GRAD_RTOL = 1e-5;
/**
 * Each tensor on its own. Looser: behind a BatchNorm the per-sample contributions to a
 * weight's gradient nearly cancel (its backward pass sums to zero over the batch), so the
 * float32 rounding of summing them in two halves instead of one is amplified for the
 * smaller tensors (measured up to 1e-5 for BYOL, the same with one thread in both runs).
 */
const TENSOR_RTOL = 1e-4;
const LOSS_RTOL = 1e-4;
/** A tensor whose gradient norm is below this fraction of the whole gradient's is zero in exact arithmetic (a bias a BatchNorm cancels): rounding noise only. */
const ZERO_GRADIENT = 1e-6;

const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/** Per tensor, ‖g₂ − g₁‖ / ‖g₁‖, for the tensors whose gradient is not zero up to rounding. */
function gradientErrors(one: WorkerCaseResult, two: WorkerCaseResult): { errors: Array<{ name: string; error: number }>; zero: string[]; whole: number } {
  const total = Math.sqrt(Object.values(one.grads).reduce((s, g) => s + norm(g) ** 2, 0));
  let diff2 = 0;
  const errors: Array<{ name: string; error: number }> = [];
  const zero: string[] = [];
  for (const [name, g1] of Object.entries(one.grads)) {
    const g2 = two.grads[name];
    if (!g2 || g2.length !== g1.length) {
      errors.push({ name, error: Infinity });
      continue;
    }
    diff2 += norm(g1.map((x, i) => x - g2[i])) ** 2;
    if (norm(g1) < ZERO_GRADIENT * total) {
      zero.push(name);
      // Zero in both: the other world's noise must be as small.
      if (norm(g2) >= ZERO_GRADIENT * total) errors.push({ name, error: Infinity });
      continue;
    }
    errors.push({ name, error: norm(g1.map((x, i) => x - g2[i])) / norm(g1) });
  }
  return { errors, zero, whole: Math.sqrt(diff2) / total };
}

const head = { hidden: [32], out: 16 };
interface EquivalenceCase {
  name: string;
  title: string;
  objectives: unknown[];
  /** Views to add or replace, by name. */
  views?: Record<string, unknown[]>;
}

const CASES: Array<WorkerCase & { title: string }> = (
  [
  { name: 'clip', title: 'CLIP', objectives: [{ type: 'clip' }] },
  { name: 'simclr', title: 'SimCLR', objectives: [{ type: 'simclr', views: ['ssl', 'ssl'], head }] },
  { name: 'slip', title: 'SLIP (CLIP + SimCLR)', objectives: [{ type: 'clip' }, { type: 'simclr', views: ['ssl', 'ssl'], head }] },
  { name: 'byol', title: 'BYOL (local loss, SyncBatchNorm heads, EMA target)', objectives: [{ type: 'byol', views: ['ssl', 'ssl'], projector: head, predictor: { hidden: [32] } }] },
  {
    name: 'dino',
    title: 'DINO (multi-crop, EMA teacher on the global crops, a center filled from the batch)',
    objectives: [{ type: 'dino', views: ['ssl', 'ssl', 'local', 'local'], globalViews: 2, outDim: 64, head: { hidden: [32], bottleneck: 16 }, freezeLastLayerSteps: 0 }],
    views: { local: [{ type: 'random-resized-crop', scale: [0.1, 0.4], size: 8 }, { type: 'normalize' }] },
  },
  {
    name: 'flip',
    title: "FLIP (CLIP on a view with half its patches dropped, each sample's mask keyed by its key)",
    objectives: [{ type: 'clip' }],
    views: { clip: [{ type: 'random-resized-crop', scale: [0.5, 1] }, { type: 'normalize' }, { type: 'patch-mask', ratio: 0.5 }] },
  },
  ] satisfies EquivalenceCase[] as EquivalenceCase[]
).map(({ objectives, views, ...c }) => ({
  ...c,
  overrides: [`objectives=${JSON.stringify(objectives)}`, ...Object.entries(views ?? {}).map(([name, steps]) => `views.${name}=${JSON.stringify(steps)}`)],
}));

/** SLIP through the step's other paths: GradCache's chunked backward pass, and gradient accumulation over 2 micro-batches (2 rows per rank each). Gradients only, 3 steps. */
const PATHS: Array<WorkerCase & { title: string }> = [
  { name: 'slip-gradcache', title: 'SLIP with GradCache (chunks of 2)', overrides: ['train.gradCache={"chunkSize":2}', 'train.steps=3'] },
  { name: 'slip-accumulate', title: 'SLIP with train.accumulate=2', overrides: ['train.accumulate=2', 'train.steps=3'] },
];

describe('data parallel on MPI: 2 ranks equal 1 process (real mpirun)', function () {
  this.timeout(420_000);
  let one: WorkerOutput;
  let two: WorkerOutput;
  let dir: string;
  before(async () => {
    requireMpi();
    dir = tempDir('dp-equiv');
    const spec = specPath('distributed', 'tiny-slip.json');
    const cases = [...CASES, ...PATHS].map(({ name, overrides }) => ({ name, overrides }));
    one = await trainOnRanks(1, spec, cases, dir);
    two = await trainOnRanks(2, spec, cases, dir);
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('runs every case to the end, once in a world of 1 and once in a world of 2', () => {
    assert.equal(one.worldSize, 1);
    assert.equal(two.worldSize, 2);
    for (const c of [...CASES, ...PATHS]) assert.deepEqual([c.name, one.cases[c.name]?.status, two.cases[c.name]?.status], [c.name, 'FINISHED', 'FINISHED']);
  });

  it('a 2-rank run stopped with a checkpoint after 8 steps resumes in one process to the one-process loss curve', async function () {
    this.timeout(240_000);
    const slip = CASES.find((c) => c.name === 'slip')!;
    const stopped = await trainOnRanks(2, specPath('distributed', 'tiny-slip.json'), [{ name: 'slip-stop', overrides: slip.overrides, stopAfterSteps: 8 }], dir);
    assert.equal(stopped.cases['slip-stop'].status, 'KILLED');
    assert.equal(stopped.cases['slip-stop'].lossCurve.length, 8);
    const resumed = await trainOnRanks(1, specPath('distributed', 'tiny-slip.json'), [{ name: 'slip-resume', overrides: [], resume: 'slip-stop-2' }], dir);
    const curve = resumed.cases['slip-resume'].lossCurve;
    const reference = one.cases.slip.lossCurve;
    assert.equal(resumed.cases['slip-resume'].status, 'FINISHED');
    assert.equal(curve.length, 20);
    const worst = Math.max(...reference.map((l, i) => Math.abs(l - curve[i]) / Math.max(1, Math.abs(l))));
    console.log(`      worst loss error ${worst.toExponential(2)} against the one-process run`);
    assert.ok(worst < LOSS_RTOL, `loss error ${worst}`);
  });

  for (const c of PATHS) {
    it(`${c.title}: the same first-step gradient (relative error < ${GRAD_RTOL} overall, < ${TENSOR_RTOL} for every tensor)`, () => {
      const { errors, whole } = gradientErrors(one.cases[c.name], two.cases[c.name]);
      const worst = errors.reduce((a, b) => (b.error > a.error ? b : a));
      console.log(`      gradient error ${whole.toExponential(2)} overall; worst tensor ${worst.error.toExponential(2)} (${worst.name})`);
      assert.ok(whole < GRAD_RTOL, `whole gradient: ${whole}`);
      assert.ok(worst.error < TENSOR_RTOL, `${worst.name}: ${worst.error}`);
    });
  }

  for (const c of CASES) {
    describe(c.title, () => {
      it(`applies the same first-step gradient (relative error < ${GRAD_RTOL} overall, < ${TENSOR_RTOL} for every tensor)`, () => {
        const { errors, zero, whole } = gradientErrors(one.cases[c.name], two.cases[c.name]);
        assert.equal(errors.length + zero.length, Object.keys(two.cases[c.name].grads).length);
        assert.ok(errors.length > 10, `only ${errors.length} gradients compared`);
        const worst = errors.reduce((a, b) => (b.error > a.error ? b : a));
        console.log(`      gradient error ${whole.toExponential(2)} overall; worst tensor ${worst.error.toExponential(2)} (${worst.name}) of ${errors.length}; ${zero.length} zero up to rounding in both`);
        assert.ok(whole < GRAD_RTOL, `whole gradient: ${whole}`);
        assert.ok(worst.error < TENSOR_RTOL, `${worst.name}: ${worst.error}`);
      });

      it(`follows the same 20-step loss curve (relative error < ${LOSS_RTOL})`, () => {
        const a = one.cases[c.name].lossCurve;
        const b = two.cases[c.name].lossCurve;
        assert.equal(a.length, 20);
        assert.equal(b.length, 20);
        const worst = Math.max(...a.map((l, i) => Math.abs(l - b[i]) / Math.max(1, Math.abs(l))));
        console.log(`      worst loss error ${worst.toExponential(2)}; loss ${a[0].toFixed(4)} -> ${a[19].toFixed(4)}`);
        assert.ok(worst < LOSS_RTOL, `loss error ${worst}`);
        // The curve moves: a run that did not train would agree trivially.
        assert.ok(Math.abs(a[19] - a[0]) > 1e-2, 'the loss did not move');
      });
    });
  }
});

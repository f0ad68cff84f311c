import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runExperiment } from '../../core/engine/run';
import { repoRoot } from '../helpers/paths';
import { builtinRegistry, captureStream, loadSpec, quietLog, tempDir } from '../helpers/runs';
import { describeOnWebgpu } from '../helpers/webgpu';

/** Steps of the quickstart-size run; the curve is compared at every step. */
const STEPS = 30;
/**
 * The backends round differently (WGSL kernels against libtensorflow's and slipkit's C++ ones,
 * other summation orders; lavapipe is not even deterministic from run to run: three webgpu runs
 * of this test part by 1e-7 from step 4), and training amplifies the differences until single
 * steps' losses part by up to 2e-2 at step 30, for two CPU backends (tensorflow against tfjs's
 * cpu) as for webgpu against tensorflow. Where the amplification sets in moves with the build
 * and the run (2026-12-06): at step 13 in three webgpu runs against tensorflow with its fused ops
 * off (7.8e-7 at step 12, then 2e-5, 1.5e-4), at steps 9–10 with a trial fused GELU kernel
 * (2.2e-6 at step 8, then 4.8e-5, 2.6e-4), at steps 15–19 in a CI run, and within the first
 * 11 steps in another CI run (3.3e-4). So step-for-step agreement is asked of the first 5 steps
 * only, where the learning rate is still below 1.1e-4 of the warm-up (every run measured: at
 * most 6e-7). After those: the same mean loss over each
 * window of 10 steps, measured at most 2.1e-5 apart for steps 1–10, 3.4e-6 to 7.3e-4 for
 * steps 11–20 and 1.1e-4 to 3.6e-3 for steps 21–30 (nine runs, 2026-12-05 and -06; the 3.6e-3
 * failed CI against the 3e-3 asked before), so 1e-2 leaves room for that spread and still fails
 * a backend whose training drifts by a percent.
 */
const EARLY_STEPS = 5;
const EARLY_RTOL = 1e-5;
const WINDOW = 10;
const WINDOW_RTOL = 1e-2;

// The quickstart's model, data (real MNIST digits) and views, at batch 32 for 30 steps with no
// evaluation, trained once on webgpu (lavapipe) and once on a CPU backend from the same seed.
// The CPU reference is the native `tensorflow` backend (the one CI provisions and users train
// on): the same 30 steps on tfjs's pure-JavaScript `cpu` backend take about ten minutes on two
// cores, too long for every CI run; it was measured by hand (see the tolerances above).
describeOnWebgpu('a 30-step quickstart-size run', () => {
  it("follows a CPU backend's loss curve at every step", async function () {
    this.timeout(420_000);
    const dir = tempDir('slipkit-webgpu-curve-');
    const curve = async (backend: string): Promise<number[]> => {
      const registry = builtinRegistry();
      const overrides = [`backend="${backend}"`, `train.steps=${STEPS}`, 'train.batchSize=32', 'train.logEvery=1', 'eval=[]', 'tracking={"type":"console"}'];
      const loaded = loadSpec(path.join(repoRoot, 'experiments', 'quickstart.json'), registry, overrides);
      const result = await runExperiment(loaded, registry, { runDir: path.join(dir, backend), stdout: captureStream(), log: quietLog });
      assert.equal(result.status, 'FINISHED', `${backend}: ${result.error?.message}`);
      return result.lossCurve;
    };
    let gpu: number[];
    let reference: number[];
    try {
      gpu = await curve('webgpu');
      reference = await curve('tensorflow');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(gpu.length, STEPS);
    assert.equal(reference.length, STEPS);
    const errors = reference.map((l, i) => Math.abs(gpu[i] - l) / Math.abs(l));
    const worstEarly = Math.max(...errors.slice(0, EARLY_STEPS));
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const windows = Array.from({ length: STEPS / WINDOW }, (_, w) => {
      const [a, b] = [mean(reference.slice(w * WINDOW, (w + 1) * WINDOW)), mean(gpu.slice(w * WINDOW, (w + 1) * WINDOW))];
      return Math.abs(b - a) / Math.abs(a);
    });
    const perStep = errors.map((e) => e.toExponential(1)).join(' ');
    console.log(
      `      loss ${reference[0].toFixed(4)} → ${reference[STEPS - 1].toFixed(4)} on tensorflow, ${gpu[0].toFixed(4)} → ${gpu[STEPS - 1].toFixed(4)} on webgpu; ` +
        `largest step difference ${worstEarly.toExponential(2)} over the first ${EARLY_STEPS} steps (${Math.max(...errors).toExponential(2)} over all); ` +
        `mean loss of each ${WINDOW} steps apart by ${windows.map((e) => e.toExponential(1)).join(', ')}\n      relative difference at each step: ${perStep}`,
    );
    assert.ok(worstEarly <= EARLY_RTOL, `the first ${EARLY_STEPS} steps part by ${worstEarly} (each step: ${perStep})`);
    windows.forEach((e, w) => assert.ok(e <= WINDOW_RTOL, `steps ${w * WINDOW + 1}-${(w + 1) * WINDOW}: mean losses part by ${e}`));
  });
});

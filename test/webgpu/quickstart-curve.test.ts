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
 * other summation orders), and training carries the differences forward and amplifies them:
 * measured on 2026-12-05, the two CPU backends themselves (tensorflow and tfjs's cpu) agree to
 * 4e-7 for the first 11 steps and then part by up to 7.7e-3 by step 30, and webgpu on lavapipe
 * against tensorflow the same way (5e-7, then up to 5.8e-3). So: tight agreement while the
 * rounding has not yet been amplified, and no more parting than two CPU backends show after.
 */
const EARLY_STEPS = 11;
const EARLY_RTOL = 1e-5;
const CURVE_RTOL = 2e-2;

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
    const worst = Math.max(...errors);
    const worstEarly = Math.max(...errors.slice(0, EARLY_STEPS));
    console.log(`      loss ${reference[0].toFixed(4)} → ${reference[STEPS - 1].toFixed(4)} on tensorflow, ${gpu[0].toFixed(4)} → ${gpu[STEPS - 1].toFixed(4)} on webgpu; largest relative difference ${worstEarly.toExponential(2)} over the first ${EARLY_STEPS} steps, ${worst.toExponential(2)} over all (step ${errors.indexOf(worst) + 1})`);
    assert.ok(worstEarly <= EARLY_RTOL, `the first ${EARLY_STEPS} steps part by ${worstEarly}`);
    assert.ok(worst <= CURVE_RTOL, `the curves part by ${worst} at step ${errors.indexOf(worst) + 1}`);
  });
});

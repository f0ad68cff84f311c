import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runExperiment } from '../../../core/engine/run';
import { builtinRegistry, captureStream, loadSpec, quietLog, specPath, tempDir } from '../../helpers/runs';

// Synthetic data (the tiny-slip fixture), two steps per run.
describe('runs in one process (a sweep)', function () {
  this.timeout(60_000);

  it('a finished run leaves no tensors or variables behind, so consecutive runs do not accumulate models', async () => {
    const registry = builtinRegistry();
    const loaded = loadSpec(specPath('tiny-slip.json'), registry, ['tracking={"type":"console"}', 'train.steps=2']);
    const dir = tempDir('run-cleanup');
    try {
      const tensors = tf.memory().numTensors;
      const variables = Object.keys(tf.engine().registeredVariables).length;
      for (let i = 0; i < 2; i++) {
        const result = await runExperiment(loaded, registry, { runDir: path.join(dir, `run-${i}`), stdout: captureStream(), log: quietLog });
        assert.equal(result.status, 'FINISHED');
        assert.equal(tf.memory().numTensors, tensors, `tensors after run ${i}`);
        assert.equal(Object.keys(tf.engine().registeredVariables).length, variables, `variables after run ${i}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluateCheckpoint } from '../../../core/engine/eval-checkpoint';
import { runExperiment } from '../../../core/engine/run';
import { PluginRegistry } from '../../../core/plugins/registry';
import { resolveExperiment } from '../../../core/spec/resolve';
import { builtinPlugins } from '../../../plugins/index';
import { captureStream, quietLog, specPath, tempDir } from '../../helpers/runs';

// Synthetic data (fixture plugins) with the built-in knn evaluator.
describe('slipkit eval on a saved checkpoint', function () {
  this.timeout(120000);
  const knn = (k: number) => `eval=[{"type":"knn","k":${k},"topK":[1],"trainDataset":{"type":"noise-squares","count":24},"dataset":{"type":"noise-squares","count":12}}]`;

  it('reproduces the metrics the run reported with the same weights, and runs another eval list from a file', async () => {
    const dir = tempDir('evalckpt');
    try {
      const registry = new PluginRegistry();
      registry.registerAll(builtinPlugins, 'builtin');
      const loaded = resolveExperiment(specPath('external-plugins.json'), registry, ['train.steps=4', knn(5)]);
      const run = await runExperiment(loaded, registry, { runDir: path.join(dir, 'run'), stdout: captureStream(), log: quietLog });
      assert.equal(run.status, 'FINISHED', run.error?.message);
      assert.ok('knn/top1' in run.metrics);

      const again = await evaluateCheckpoint(path.join(dir, 'run'), registry, quietLog);
      assert.deepEqual(again, run.metrics);

      const evalFile = path.join(dir, 'eval.json');
      fs.writeFileSync(evalFile, JSON.stringify({ eval: [{ type: 'knn', name: 'knn-k1', k: 1, topK: [1], trainDataset: { type: 'noise-squares', count: 24 }, dataset: { type: 'noise-squares', count: 12 } }] }));
      const other = await evaluateCheckpoint(path.join(dir, 'run'), registry, quietLog, evalFile);
      assert.deepEqual(Object.keys(other), ['knn-k1/top1']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the directory when there is no checkpoint', async () => {
    const dir = tempDir('evalnone');
    try {
      await assert.rejects(evaluateCheckpoint(dir, new PluginRegistry(), quietLog), /no checkpoint found at .*evalnone/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

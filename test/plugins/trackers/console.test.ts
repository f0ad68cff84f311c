import { strict as assert } from 'node:assert';
import type { Tracker } from '../../../core/contracts/tracker';
import { withDefaults } from '../../../core/plugins/options';
import consolePlugin, { formatNumber } from '../../../plugins/trackers/console';
import { MemoryLog, pluginContext } from './tracker-fixtures';

describe('console tracker', () => {
  it('prints params, tags, metrics, artifacts and the end through the logger', async () => {
    const mem = new MemoryLog('debug');
    const saved = process.env.MLFLOW_TRACKING_TOKEN;
    process.env.MLFLOW_TRACKING_TOKEN = 'console-secret-token';
    try {
      const t = consolePlugin.create!({ level: 'info', digits: 3 }, pluginContext(mem.logger)) as Tracker;
      await t.start({ runDir: '/tmp/r', name: 'demo', experiment: 'exp', resumed: false });
      await t.logParams({ lr: '0.003', 'db.password': 'pw-123456' });
      await t.setTags({ 'slipkit.backend': 'cpu', note: 'console-secret-token' });
      t.logMetrics({ loss: 0.123456, lr: 0.0000123, 'zero-shot/top1': NaN }, 10);
      await t.logArtifact('/tmp/r/loss.png', 'loss.png');
      await t.flush();
      await t.end('FAILED', 'boom with console-secret-token');
    } finally {
      if (saved === undefined) delete process.env.MLFLOW_TRACKING_TOKEN;
      else process.env.MLFLOW_TRACKING_TOKEN = saved;
    }
    const text = mem.text;
    assert.match(text, /INFO .*run demo \(experiment exp\) in \/tmp\/r/);
    assert.match(text, /INFO .*2 param\(s\)/);
    assert.match(text, /DEBUG .*param lr=0\.003/);
    assert.match(text, /INFO .*step 10 {2}loss=0\.123 {2}lr=1\.23e-5 {2}zero-shot\/top1=NaN/);
    assert.match(text, /INFO .*artifact loss\.png/);
    assert.match(text, /INFO .*run FAILED: boom with \*\*\*/);
    assert.ok(!text.includes('console-secret-token') && !text.includes('pw-123456'), text);
  });

  it('never throws out of logMetrics', () => {
    const t = consolePlugin.create!(withDefaults(consolePlugin.schema, {}), pluginContext(new MemoryLog().logger)) as Tracker;
    assert.doesNotThrow(() => t.logMetrics({ weird: undefined as unknown as number }, 0));
  });

  it('formats numbers with significant digits', () => {
    assert.equal(formatNumber(0.123456, 4), '0.1235');
    assert.equal(formatNumber(1234.5678, 4), '1235');
    assert.equal(formatNumber(0.00001234, 3), '1.23e-5');
    assert.equal(formatNumber(3e7, 2), '3e+7');
    assert.equal(formatNumber(0, 4), '0');
    assert.equal(formatNumber(-Infinity, 4), '-Infinity');
  });
});

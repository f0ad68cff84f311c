import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MetricsFile } from '../../../../core/engine/hooks/metrics-file';
import { tempDir } from '../../../helpers/runs';
import { advance, fakeRun, report } from './fake-run';

describe('hooks: metrics file', () => {
  it('appends one row per step to what the file holds, with the step first', () => {
    const dir = tempDir('metrics-file');
    try {
      const file = path.join(dir, 'metrics.jsonl');
      fs.writeFileSync(file, '{"step":3,"loss":9}\n'); // rows kept from before a resume
      const hook = new MetricsFile(file);
      const ctx = fakeRun(10, 3);
      advance(ctx);
      hook.afterStep(ctx, report());
      advance(ctx);
      hook.afterStep(ctx, report({ loss: 0.25, metrics: { grad_norm: 2 } }));
      assert.equal(
        fs.readFileSync(file, 'utf8'),
        '{"step":3,"loss":9}\n' +
          '{"step":4,"loss":0.5,"lr":0.001,"clip/loss":0.25,"simclr/loss":0.5,"clip/clip_acc":12.5}\n' +
          '{"step":5,"loss":0.25,"lr":0.001,"clip/loss":0.25,"simclr/loss":0.5,"grad_norm":2}\n',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

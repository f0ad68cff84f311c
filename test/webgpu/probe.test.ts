import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendCandidate, type BackendName } from '../../core/backend';
import { cpuCandidate } from '../../core/backend/cpu';
import { SOFTWARE_SWITCH, webgpuCandidate } from '../../core/backend/webgpu';
import { main } from '../../core/cli/main';
import { makeCliContext } from '../../core/cli/context';
import { Logger } from '../../core/logger';
import { LAVAPIPE_ICD, webgpuTested } from '../helpers/webgpu';

const absent = (name: BackendName): BackendCandidate => ({
  name,
  probe: async () => ({ name, available: false, reason: 'absent in this test' }),
  activate: async () => undefined,
});
const candidates = [absent('tensorflow'), webgpuCandidate, absent('wasm'), cpuCandidate];

function recordingLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: new Logger('info', { write: (s: string) => void lines.push(s) }), lines };
}

// Dawn on lavapipe, a software adapter: refused unless the switch is set, and never picked by auto.
if (webgpuTested()) {
  describe('webgpu probe on a software adapter (lavapipe)', function () {
    this.timeout(120_000);
    let previous: string;
    let switchBefore: string | undefined;
    before(() => {
      previous = tf.getBackend();
      switchBefore = process.env[SOFTWARE_SWITCH];
      process.env.VK_DRIVER_FILES ??= LAVAPIPE_ICD;
    });
    after(async () => {
      if (switchBefore === undefined) delete process.env[SOFTWARE_SWITCH];
      else process.env[SOFTWARE_SWITCH] = switchBefore;
      await tf.setBackend(previous);
    });

    it(`refuses it without ${SOFTWARE_SWITCH}, naming the adapter and the switch`, async () => {
      delete process.env[SOFTWARE_SWITCH];
      const probe = await webgpuCandidate.probe();
      assert.equal(probe.available, false);
      assert.match(probe.reason, /only a software adapter \(.*llvmpipe.*\).*SLIPKIT_WEBGPU_ALLOW_SOFTWARE=1/);
    });

    it('with the switch, gives it to a spec that names webgpu but not to auto', async () => {
      process.env[SOFTWARE_SWITCH] = '1';
      const auto = recordingLog();
      assert.equal((await selectBackend('auto', auto.log, candidates)).name, 'cpu');
      assert.match(auto.lines.join(''), /backend webgpu skipped: .*llvmpipe.*auto does not pick a software device/);
      const named = recordingLog();
      const selection = await selectBackend('webgpu', named.log, candidates);
      assert.equal(selection.name, 'webgpu');
      assert.equal(tf.getBackend(), 'webgpu');
      assert.equal(selection.probes[0].software, true);
      assert.match(named.lines.join(''), /backend webgpu: Dawn .*llvmpipe.*allowed by SLIPKIT_WEBGPU_ALLOW_SOFTWARE/);
    });

    it('slipkit doctor shows the adapter and its limits, and that auto does not select it', async () => {
      process.env[SOFTWARE_SWITCH] = '1';
      let out = '';
      const sink = { write: (s: string) => void (out += s) };
      const code = await main(['node', 'slipkit', 'doctor', '--no-bench'], [], makeCliContext([], sink, sink));
      assert.equal(code, 0, out);
      assert.match(out, /^ {2}webgpu +available +Dawn /m);
      assert.match(out, /^ +adapter: .*llvmpipe.*\(largest storage buffer \d+ MiB, workgroup memory \d+ KiB\)$/m);
      assert.doesNotMatch(out, /^auto selects: webgpu$/m);
    });
  });
}

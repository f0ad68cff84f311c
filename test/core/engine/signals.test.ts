import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../helpers/paths';
import { specPath, tempDir } from '../../helpers/runs';

/** Starts `slipkit run` on a spec (the fixture by default), waits for step 3's progress line, sends `signal`. */
function runAndSignal(signal: NodeJS.Signals, runDir: string, spec = specPath('external-plugins.json')): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'slipkit.js'), 'run', spec, '--set', 'train.steps=100000', '--set', 'train.logEvery=1', '--run-dir', runDir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SLIPKIT_LOG_LEVEL: 'warn' },
    });
    let stdout = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!sent && /step 3\/100000/.test(stdout)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout }));
    setTimeout(() => child.kill('SIGKILL'), 60000).unref();
  });
}

// Synthetic data (fixture plugins); runs the real CLI in a child process.
describe('SIGINT and SIGTERM during training', function () {
  this.timeout(90000);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: writes a checkpoint, marks the run KILLED and exits with 130`, async () => {
      const dir = tempDir('signal');
      try {
        const runDir = path.join(dir, 'run');
        const { code } = await runAndSignal(signal, runDir);
        assert.equal(code, 130);
        const record = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
        assert.equal(record.status, 'KILLED');
        const last = JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoints', 'last.json'), 'utf8'));
        assert.ok(last.step >= 3, `checkpoint at step ${last.step}`);
        assert.ok(fs.existsSync(path.join(runDir, 'checkpoints', last.dir, 'model.safetensors')));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('SIGINT during a sweep: the running member is KILLED, the rest do not start, exit 130', async () => {
    const dir = tempDir('signal-sweep');
    try {
      const spec = path.join(dir, 'sweep.json');
      fs.writeFileSync(spec, JSON.stringify({ extends: specPath('external-plugins.json'), sweep: { grid: { seed: [1, 2] } } }));
      const runs = path.join(dir, 'runs');
      const { code, stdout } = await runAndSignal('SIGINT', runs, spec);
      assert.equal(code, 130);
      const members = fs.readdirSync(runs);
      assert.equal(members.length, 1, `only the first member ran: ${members.join(', ')}`);
      const record = JSON.parse(fs.readFileSync(path.join(runs, members[0], 'run.json'), 'utf8'));
      assert.equal(record.status, 'KILLED');
      assert.equal(record.sweep.index, 0);
      assert.match(stdout, /sweep summary \(1 run; [^)]*\):\n\S+-0 +KILLED +seed=1/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

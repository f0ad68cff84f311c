import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { AUTO_ORDER, nativeInstall } from '../../core/backend';
import { main } from '../../core/cli/main';
import { makeCliContext } from '../../core/cli/context';
import { nativeTested } from '../helpers/backends';
import { repoRoot } from '../helpers/paths';

async function doctor(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const sink = { write: (s: string) => void (out += s) };
  const code = await main(['node', 'slipkit', 'doctor', ...args], [], makeCliContext([], sink, sink));
  return { code, out };
}

describe('slipkit doctor', () => {
  let original: string;
  before(() => {
    original = tf.getBackend();
  });
  afterEach(async () => {
    if (tf.getBackend() !== original) await tf.setBackend(original);
  });

  it('lists versions, the native backend status and every backend with its status, in auto order', async () => {
    const { code, out } = await doctor('--no-bench');
    assert.equal(code, 0, out);
    assert.match(out, /^slipkit \d+\.\d+\.\d+/m);
    assert.match(out, /^node v\d+/m);
    assert.match(out, /^@tensorflow\/tfjs 4\.22\.0$/m);
    assert.match(out, nativeInstall().ready ? /^native backend \(.*\): tfjs-node .* libtensorflow .* from PyPI/m : /^native backend: .*npm run setup:native/m);
    const rows = out.split('\n').filter((l) => /^ {2}\S+ +(available|unavailable) /.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    assert.deepEqual(rows, [...AUTO_ORDER]);
    assert.match(out, /^auto selects: (tensorflow|webgpu|wasm|cpu)$/m);
    // The GEMM setup chose is named under the native backend's row.
    const gemm = nativeInstall().manifest?.gemm;
    if (nativeInstall().ready && gemm) assert.match(out, new RegExp(`^ +gemm: ${gemm.chosen}: `, 'm'));
    assert.doesNotMatch(out, /GFLOP\/s/);
    assert.equal(tf.getBackend(), original);
  });

  it('times a matmul on each available backend', async () => {
    const { code, out } = await doctor('--size', '48', '--budget-ms', '20');
    assert.equal(code, 0, out);
    const available = out.split('\n').filter((l) => / available /.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    const timed = [...out.matchAll(/^ {2}(\S+) +([\d.]+) GFLOP\/s/gm)].map((m) => [m[1], Number(m[2])] as const);
    assert.deepEqual(timed.map(([name]) => name), available);
    for (const [, gflops] of timed) assert.ok(gflops > 0);
    assert.equal(tf.getBackend(), original);
  });
});

describe('scripts/setup-native.js', () => {
  const script = path.join(repoRoot, 'scripts', 'setup-native.js');
  // CI=true would make --optional failures fatal (test/core/native-ci.test.ts tests that): these cases run as a local setup.
  const run = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env: { ...process.env, CI: '', ...env }, timeout: 60_000 });

  it('says what failed and exits 1, or 0 with --optional, when a tool is missing (checked before any download)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipkit-native-'));
    try {
      const env = { SLIPKIT_NATIVE_DIR: dir, SLIPKIT_NODEDIR: path.join(dir, 'no-node-headers') };
      const strict = run([], env);
      assert.equal(strict.status, 1, strict.stdout + strict.stderr);
      assert.match(strict.stdout, /FAILED while finding the Node\.js headers/);
      assert.match(strict.stdout, /fall back to the webgpu, wasm or cpu backend/);
      const optional = run(['--optional'], env);
      assert.equal(optional.status, 0, optional.stdout + optional.stderr);
      assert.match(optional.stdout, /FAILED while finding the Node\.js headers/);
      assert.deepEqual(fs.readdirSync(dir), [], 'nothing was downloaded');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is a quick no-op when the native backend is already provisioned, or skips on request', () => {
    if (nativeTested()) {
      const res = run([], {});
      assert.equal(res.status, 0, res.stdout + res.stderr);
      assert.match(res.stdout, /native backend ready .* checked in/);
    } else {
      const res = run([], { SLIPKIT_SKIP_NATIVE: '1' });
      assert.equal(res.status, 0, res.stdout + res.stderr);
      assert.match(res.stdout, /skipped \(SLIPKIT_SKIP_NATIVE is set\)/);
    }
  });

  it('ignores SLIPKIT_SKIP_NATIVE under CI=true: the build is attempted, and its failure is fatal', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipkit-native-'));
    try {
      const res = run(['--optional'], { CI: 'true', SLIPKIT_SKIP_NATIVE: '1', SLIPKIT_NATIVE_DIR: dir, SLIPKIT_NODEDIR: path.join(dir, 'no-node-headers') });
      assert.equal(res.status, 1, res.stdout + res.stderr);
      assert.match(res.stdout, /SLIPKIT_SKIP_NATIVE is ignored: CI=true requires the native backend/);
      assert.doesNotMatch(res.stdout, /skipped \(SLIPKIT_SKIP_NATIVE is set\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fusedOpsActive, fusedOpsState, nativeInstall, selectBackend, SETUP_COMMAND } from '../../core/backend';
import { BackendError } from '../../core/errors';
import { Logger } from '../../core/logger';
import { addBiasResidual } from '../../core/nn/residual';
import { nativeCase, nativeTested } from '../helpers/backends';
import { repoRoot } from '../helpers/paths';

const quiet = new Logger('error', { write: () => undefined });

/**
 * CI must not go green without the native backend: under CI=true this test requires the
 * `tensorflow` backend and its fused ops, loaded and used; locally it checks them where setup
 * provisioned them, and otherwise that selecting the backend is refused naming the setup command.
 */
describe('the native backend and its fused ops in this run', function () {
  this.timeout(60_000);
  let previous: string;
  before(() => {
    previous = tf.getBackend();
  });
  after(async () => {
    await tf.setBackend(previous);
  });

  if (nativeTested()) {
    it(`selects 'tensorflow', loads the fused ops and runs them (${nativeCase()})`, async () => {
      const selection = await selectBackend('tensorflow', quiet);
      assert.equal(selection.name, 'tensorflow');
      assert.equal(tf.getBackend(), 'tensorflow');
      assert.ok(nativeInstall().manifest?.fusedOps?.addon, `setup did not build the fused ops: ${JSON.stringify(nativeInstall().manifest?.fusedOps)}`);
      assert.ok(fusedOpsState().loaded, `fused ops not loaded: ${JSON.stringify(fusedOpsState())}`);
      assert.equal(fusedOpsActive(), true);
      // Used, not only loaded: the layer's kernel is the fused one.
      const profile = await tf.profile(() => tf.tidy(() => addBiasResidual(tf.ones([2, 3]), tf.ones([2, 3]), tf.ones([3])).dataSync()));
      assert.ok(profile.kernelNames.includes('SlipkitBiasResidual'), `kernels run: ${profile.kernelNames.join(', ')}`);
    });
  } else {
    it(`refuses 'tensorflow' naming the setup command, and the fused ops stay off (${nativeCase()})`, async () => {
      await assert.rejects(selectBackend('tensorflow', quiet), (err: unknown) => err instanceof BackendError && err.message.includes(SETUP_COMMAND));
      assert.equal(fusedOpsActive(), false);
    });
  }
});

describe('scripts/setup-native.js under CI=true', function () {
  this.timeout(60_000);
  const script = path.join(repoRoot, 'scripts', 'setup-native.js');
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [script, '--optional'], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 50_000 });
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipkit-native-ci-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 despite --optional when the native backend cannot be built, and 0 without CI (offline: fails before any download)', () => {
    // No Node.js headers: the first tool check fails, in well under a second.
    const env = { SLIPKIT_NATIVE_DIR: path.join(dir, 'native'), SLIPKIT_NODEDIR: path.join(dir, 'no-node-headers') };
    const ci = run({ ...env, CI: 'true' });
    assert.equal(ci.status, 1, ci.stdout + ci.stderr);
    assert.match(ci.stdout, /FAILED while finding the Node\.js headers/);
    assert.match(ci.stdout, /--optional ignored: CI=true makes this fatal.*run without CI=true locally/);
    const local = run({ ...env, CI: '' });
    assert.equal(local.status, 0, local.stdout + local.stderr);
    assert.match(local.stdout, /\(--optional: exiting with 0\)/);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'native')), [], 'nothing was downloaded');
  });

  if (nativeTested()) {
    it(`exits 1 despite --optional when only the fused ops fail to compile, and 0 without CI (${nativeCase()})`, () => {
      // A copy of the provisioned install without the fused ops, and a "compiler" that answers
      // --version but fails every compilation: setup finds the backend ready and builds only them.
      const source = nativeInstall();
      assert.ok(source.ready && source.manifest, `the native backend is required here: ${source.problem}`);
      const manifest = { ...source.manifest };
      delete manifest.fusedOps;
      const native = path.join(dir, 'native');
      fs.mkdirSync(native);
      fs.symlinkSync(path.join(source.dir, 'node_modules'), path.join(native, 'node_modules'));
      const lib = `libtensorflow-${manifest.libtensorflow.version}`;
      fs.symlinkSync(path.join(source.dir, lib), path.join(native, lib));
      const cxx = path.join(dir, 'bogus-cxx');
      fs.writeFileSync(cxx, '#!/bin/sh\n[ "$1" = --version ] && exit 0\necho "bogus-cxx: cannot compile" >&2\nexit 1\n', { mode: 0o755 });
      const writeManifest = () => fs.writeFileSync(path.join(native, 'slipkit-native.json'), JSON.stringify(manifest));
      const env = { SLIPKIT_NATIVE_DIR: native, SLIPKIT_TF_VERSION: manifest.libtensorflow.version, CXX: cxx };

      writeManifest();
      const ci = run({ ...env, CI: 'true' });
      assert.equal(ci.status, 1, ci.stdout + ci.stderr);
      assert.match(ci.stdout, /the fused ops were NOT built/);
      assert.match(ci.stdout, /FAILED while compiling the fused ops: the fused ops were not built/);
      assert.match(ci.stdout, /CI=true makes this fatal/);
      assert.match(ci.stderr, /bogus-cxx: cannot compile/);

      writeManifest();
      const local = run({ ...env, CI: '' });
      assert.equal(local.status, 0, local.stdout + local.stderr);
      assert.match(local.stdout, /the fused ops were NOT built/);
      const recorded = JSON.parse(fs.readFileSync(path.join(native, 'slipkit-native.json'), 'utf8')) as typeof manifest;
      assert.match(recorded.fusedOps?.error ?? '', /^compiling the fused ops: /);
      assert.equal(recorded.fusedOps?.addon, undefined);
    });
  }
});

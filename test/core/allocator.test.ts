import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { processAllocator } from '../../core/backend';
import { repoRoot } from '../helpers/paths';

/*
 * bin/with-allocator (what bin/slipkit and the step benchmark start node through) and the
 * allocator report of `slipkit doctor`. The launcher runs real processes here: tcmalloc is
 * Debian's libtcmalloc-minimal4, which scripts/provision/tcmalloc.sh installs (under CI=true it
 * must be there).
 */

const LAUNCHER = path.join(repoRoot, 'bin', 'with-allocator');
const TCMALLOC = [`/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/libtcmalloc_minimal.so.4`].find((f) => fs.existsSync(f));
const CI = /^(1|true|yes)$/i.test(process.env.CI ?? '');

/** The environment without any allocator choice inherited from the test runner's own launch. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const key of ['LD_PRELOAD', 'SLIPKIT_ALLOCATOR_IN_USE', 'TF_ONEDNN_USE_SYSTEM_ALLOCATOR']) delete env[key];
  if (!('SLIPKIT_ALLOCATOR' in extra)) delete env.SLIPKIT_ALLOCATOR;
  return env;
}

describe('the allocator: bin/with-allocator and processAllocator', function () {
  this.timeout(120_000);

  it('processAllocator reads what is mapped into the process', () => {
    const mapped = '7f00-7f10 r-xp 00000000 08:01 123 /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10\n7f20-7f30 r-xp 0 0 0 /usr/lib/libc.so.6\n';
    assert.equal(processAllocator(mapped).name, 'tcmalloc');
    assert.match(processAllocator(mapped).description, /^tcmalloc \(\/usr\/lib\/x86_64-linux-gnu\/libtcmalloc_minimal\.so\.4\.5\.10\)/);
    const plain = processAllocator('7f20-7f30 r-xp 0 0 0 /usr/lib/libc.so.6\n');
    assert.equal(plain.name, 'default');
    assert.match(plain.description, /^glibc malloc and TensorFlow's own pool/);
  });

  it('is installed where CI provisions it', function () {
    if (!TCMALLOC && !CI) this.skip();
    assert.ok(TCMALLOC, 'libtcmalloc-minimal4 is not installed (scripts/provision/tcmalloc.sh)');
  });

  it('preloads tcmalloc and execs the command: same process, its exit code, its signals', async function () {
    if (!TCMALLOC) this.skip();
    const probe = "const fs=require('fs');console.log(JSON.stringify({pid:process.pid,tcmalloc:/libtcmalloc/.test(fs.readFileSync('/proc/self/maps','utf8')),tf:process.env.TF_ONEDNN_USE_SYSTEM_ALLOCATOR}))";
    const child = spawn(LAUNCHER, [process.execPath, '-e', probe], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => child.on('exit', resolve));
    const seen = JSON.parse(out.trim()) as { pid: number; tcmalloc: boolean; tf: string };
    assert.deepEqual(seen, { pid: child.pid, tcmalloc: true, tf: '1' });

    assert.equal(spawnSync(LAUNCHER, [process.execPath, '-e', 'process.exit(7)'], { env: cleanEnv() }).status, 7);
    const sleeper = spawn(LAUNCHER, [process.execPath, '-e', 'setTimeout(() => {}, 60000)'], { env: cleanEnv(), stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    sleeper.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => sleeper.on('exit', (c, s) => resolve([c, s])));
    assert.deepEqual([code, signal], [null, 'SIGTERM']);
  });

  it('SLIPKIT_ALLOCATOR=default leaves the process on glibc', () => {
    const r = spawnSync(LAUNCHER, [process.execPath, '-e', "console.log(/libtcmalloc/.test(require('fs').readFileSync('/proc/self/maps','utf8')))"], {
      env: cleanEnv({ SLIPKIT_ALLOCATOR: 'default' }),
      encoding: 'utf8',
    });
    assert.equal(r.stdout.trim(), 'false');
  });

  it('slipkit doctor names the allocator bin/slipkit started it on', function () {
    const doctor = (env: NodeJS.ProcessEnv) => spawnSync(path.join(repoRoot, 'bin', 'slipkit'), ['doctor', '--no-bench'], { env, encoding: 'utf8', timeout: 90_000 });
    const plain = doctor(cleanEnv({ SLIPKIT_ALLOCATOR: 'default' }));
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stdout, /^allocator: glibc malloc and TensorFlow's own pool \(SLIPKIT_ALLOCATOR=default\)$/m);
    if (!TCMALLOC) return;
    const preloaded = doctor(cleanEnv());
    assert.equal(preloaded.status, 0, preloaded.stderr);
    assert.match(preloaded.stdout, /^allocator: tcmalloc \(\S*libtcmalloc_minimal\.so[.\d]*\); TensorFlow allocates from it$/m);
  });
});

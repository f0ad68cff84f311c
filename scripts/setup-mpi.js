#!/usr/bin/env node
'use strict';
/*
 * Builds slipkit's MPI binding (core/distributed/native/mpi_addon.c, a thin N-API module over
 * OpenMPI's collectives) into .mpi/slipkit_mpi.node with `mpicc` (from libopenmpi-dev, which
 * scripts/provision/mpi.sh installs), against the running node's headers, then loads it under
 * `mpirun -np 2` and checks an all-reduce. Writes .mpi/slipkit-mpi.json (read by `slipkit doctor`).
 *
 *   node scripts/setup-mpi.js              # fails (exit 1) when the binding cannot be built
 *   node scripts/setup-mpi.js --optional   # never fails (single-process runs need no MPI),
 *                                          # except under CI=true, where any failure exits 1
 *   node scripts/setup-mpi.js --force      # rebuilds even when the sources are unchanged
 * Idempotent: a no-op when the source hash matches the manifest and the addon file exists.
 * Only Node.js built-ins, so it runs before `npm run build`.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'core', 'distributed', 'native', 'mpi_addon.c');
const outDir = path.join(root, '.mpi');
const addon = path.join(outDir, 'slipkit_mpi.node');
const manifestFile = path.join(outDir, 'slipkit-mpi.json');
const argv = process.argv.slice(2);
const optional = argv.includes('--optional');
const force = argv.includes('--force');
const ci = ['1', 'true', 'yes'].includes(String(process.env.CI || '').toLowerCase());

function fail(message) {
  console.error(`setup-mpi: ${message}`);
  if (optional && !ci) {
    console.error('setup-mpi: (optional: going on; data-parallel runs and their tests will say the binding is missing)');
    process.exit(0);
  }
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.error) return { ok: false, out: r.error.message };
  return { ok: r.status === 0, out: `${r.stdout || ''}${r.stderr || ''}`.trim() };
}

function nodeHeaders() {
  const candidates = [path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
  return candidates.find((d) => fs.existsSync(path.join(d, 'node_api.h')));
}

const hash = crypto.createHash('sha256').update(fs.readFileSync(source)).update(process.version).digest('hex').slice(0, 16);
if (!force && fs.existsSync(addon) && fs.existsSync(manifestFile)) {
  try {
    if (JSON.parse(fs.readFileSync(manifestFile, 'utf8')).source === hash) {
      console.log(`setup-mpi: ${path.relative(root, addon)} is up to date`);
      process.exit(0);
    }
  } catch {
    // rebuild below
  }
}

const mpicc = run('mpicc', ['--showme:version']);
if (!mpicc.ok) fail(`mpicc not found (${mpicc.out}): install libopenmpi-dev and openmpi-bin (bash scripts/provision/mpi.sh)`);
const headers = nodeHeaders();
if (!headers) fail(`node_api.h not found for node ${process.version} (looked beside ${process.execPath} and in /usr/include/node)`);

fs.mkdirSync(outDir, { recursive: true });
const tmp = `${addon}.tmp-${process.pid}`;
const build = run('mpicc', ['-O2', '-shared', '-fPIC', '-Wall', '-DNODE_GYP_MODULE_NAME=slipkit_mpi', `-I${headers}`, source, '-o', tmp, '-ldl']);
if (!build.ok) fail(`compiling ${path.relative(root, source)} failed:\n${build.out}`);
fs.renameSync(tmp, addon);

// Check it in a real 2-rank job: each rank all-reduces its rank + 1, so both must see 3.
const check = `const m=require(${JSON.stringify(addon)});const w=m.init();const a=new Float32Array([w.rank+1]);m.allreduceSum(a,30000,1);if(a[0]!==3||w.size!==2){console.error('bad allreduce '+a[0]+' size '+w.size);process.exit(1)}m.finalize();`;
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0 ? ['--allow-run-as-root'] : [];
const probe = run('mpirun', [...asRoot, '--oversubscribe', '-np', '2', process.execPath, '-e', check], { timeout: 120000 });
if (!probe.ok) fail(`the built binding failed its 2-rank all-reduce under mpirun:\n${probe.out}`);

const library = run('mpirun', ['--version']).out.split('\n')[0];
fs.writeFileSync(manifestFile, JSON.stringify({ addon: path.relative(outDir, addon), source: hash, mpi: library, builtWith: { node: process.version, platform: `${os.platform()}-${os.arch()}` }, builtAt: new Date().toISOString() }, null, 2));
console.log(`setup-mpi: built ${path.relative(root, addon)} (${library}); 2-rank all-reduce ok`);

#!/usr/bin/env node
'use strict';
/*
 * Provisions slipkit's native `tensorflow` backend (tfjs-node on libtensorflow) without
 * reaching Google storage, which tfjs-node's own install script downloads from.
 *
 *   npm run setup:native                 # fails (exit 1) when the native backend cannot be built
 *   npm run setup:native -- --optional   # never fails: prints why, slipkit falls back to wasm/cpu
 *                                        # (except under CI=true, where any failure exits 1: see below)
 *   npm run setup:native -- --force      # rebuilds everything (re-downloads the wheel)
 *
 * What it does (everything lands under .native/, which is gitignored):
 *   1. installs @tensorflow/tfjs-node (same version as the root @tensorflow/tfjs) with
 *      --ignore-scripts into .native/node_modules, then deletes the @tensorflow/tfjs* copies
 *      npm put beside it, so that tfjs-node resolves the project's single tfjs-core (one engine);
 *   2. downloads the tensorflow-cpu wheel from PyPI (`pip download`, not installed) and extracts
 *      only the TensorFlow C API: libtensorflow_cc.so.2, libtensorflow_framework.so.2 and the
 *      headers the binding includes;
 *   3. compiles tfjs-node's addon with the node-gyp bundled in npm against the Node.js headers
 *      of the running node's install prefix (nothing is downloaded by node-gyp);
 *   4. loads it in a child process and checks that tf.getBackend() is 'tensorflow' and a matmul
 *      is right, then writes .native/slipkit-native.json (read by `slipkit doctor`);
 *   5. compiles slipkit's fused-ops addon (core/backend/native/: LayerNorm, GELU, residual,
 *      attention kernels through TensorFlow's C kernel API, vectorised by the wheel's Eigen) into
 *      .native/fused-ops/, and checks it in a child process. A failure here is reported and
 *      recorded in the manifest, not fatal: the layers then compute the same formulas with tfjs ops.
 *   6. builds the GEMM addon (core/backend/native/gemm/), installs candidate BLAS libraries from
 *      PyPI wheels (OpenBLAS, MKL), times the SLIP step's products on each against TensorFlow's
 *      MatMul and records the choice (scripts/setup-gemm.js). Only a failed addon build under CI=true
 *      is fatal: otherwise the products stay on TensorFlow's MatMul.
 * Under CI=true (set by GitHub Actions, GitLab CI and most CI services) every failure, the fused
 * ops' included, exits 1 even with --optional: otherwise the tests that need the native backend
 * would find it missing and a CI run could pass without ever exercising it.
 * Idempotent: when the manifest matches and the addons load, it is a no-op taking about a second;
 * changed fused-op sources are recompiled on their own (about 10 s).
 * Only Node.js built-ins are used, so it runs before `npm run build`.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ensureGemm } = require('./setup-gemm');

/** TensorFlow release whose C API we take from PyPI's tensorflow-cpu wheel. */
const TF_VERSION = process.env.SLIPKIT_TF_VERSION || '2.21.0';
/** The wheel is the same C library for every CPython tag; pin one so the local python does not matter. */
const WHEEL_PLATFORM = 'manylinux_2_27_x86_64';
const WHEEL_PYTHON = '3.11';
const MANIFEST_NAME = 'slipkit-native.json';
/** What provisionLibtensorflow extracts; bumped when that changes, so older extractions are redone. */
const EXTRACT_LAYOUT = 2;
/** The fused ops' C++ sources: every .cc there is compiled into one addon, and every file is hashed. */
const FUSED_OPS_DIR = path.resolve(__dirname, '..', 'core', 'backend', 'native');
/** Headers the fused ops include beyond the binding's (their closure follows), and whole trees (Eigen's includes are relative). */
const FUSED_OPS_HEADER_ROOTS = ['tensorflow/c/kernels.h', 'tensorflow/c/ops.h'];
const HEADER_TREES = ['Eigen/', 'unsupported/Eigen/'];

const root = path.resolve(__dirname, '..');
const nativeDir = path.resolve(process.env.SLIPKIT_NATIVE_DIR || path.join(root, '.native'));
const tfjsNodeDir = path.join(nativeDir, 'node_modules', '@tensorflow', 'tfjs-node');
const libDir = path.join(nativeDir, `libtensorflow-${TF_VERSION}`);
const manifestPath = path.join(nativeDir, MANIFEST_NAME);

const argv = process.argv.slice(2);
const flag = (name, envName) => argv.includes(`--${name}`) || truthy(process.env[envName]);
// Note: `npm run setup:native --optional` (without `--`) gives the flag to npm, not to this script.
const optional = flag('optional', 'SLIPKIT_NATIVE_OPTIONAL');
const force = flag('force', 'SLIPKIT_NATIVE_FORCE');
const verbose = flag('verbose', 'SLIPKIT_NATIVE_VERBOSE');
/** In CI a missing native backend or fused ops must fail the run, not quietly turn their tests off. */
const inCi = process.env.CI === 'true';
const CI_FATAL = 'CI=true makes this fatal, even with --optional (run without CI=true locally to fall back to the wasm or cpu backend)';

const started = Date.now();
const say = (msg) => process.stdout.write(`setup:native: ${msg}\n`);
const secondsSince = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;
/** A path as the user would type it: relative inside the repository, absolute outside. */
const shown = (p) => (p.startsWith(root + path.sep) ? path.relative(root, p) : p);

function truthy(v) {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** A failed step: what was being done and the tail of the tool's output. */
class StepError extends Error {
  constructor(step, message, output) {
    super(message);
    this.step = step;
    this.output = output;
  }
}

/** Runs a command, capturing its output (shown on failure, or live with --verbose). */
function run(step, cmd, args, options = {}) {
  if (verbose) say(`$ ${[cmd, ...args].join(' ')}`);
  const res = spawnSync(cmd, args, {
    cwd: options.cwd || root,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: verbose ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
  });
  const output = `${res.stdout || ''}${res.stderr || ''}`;
  if (res.error) throw new StepError(step, `could not start ${cmd}: ${res.error.message}`, output);
  if (res.status !== 0) throw new StepError(step, `${path.basename(cmd)} exited with code ${res.status}`, output);
  return output;
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function checkPlatform() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new StepError(
      'platform check',
      `only linux x64 is supported (this is ${process.platform} ${process.arch}); ` +
        'on other systems install @tensorflow/tfjs-node normally if Google storage is reachable',
    );
  }
}

function rootTfjsVersion() {
  const pkg = readJson(path.join(root, 'node_modules', '@tensorflow', 'tfjs', 'package.json'));
  if (!pkg) throw new StepError('reading @tensorflow/tfjs', 'the root node_modules has no @tensorflow/tfjs: run `npm install` first');
  return pkg.version;
}

/** Where node-pre-gyp (hence tfjs-node at run time) looks for the addon, e.g. lib/napi-v8/tfjs_binding.node. */
function expectedAddonPath() {
  const preGyp = path.join(nativeDir, 'node_modules', '@mapbox', 'node-pre-gyp');
  return require(preGyp).find(path.join(tfjsNodeDir, 'package.json'));
}

/**
 * Loads the addon through the root @tensorflow/tfjs in a fresh process: the same resolution slipkit
 * uses at run time. Returns what it saw, or throws with the child's output.
 */
function verify(step) {
  const probe = `
    process.env.TF_CPP_MIN_LOG_LEVEL = process.env.TF_CPP_MIN_LOG_LEVEL || '2';
    const tf = require('@tensorflow/tfjs');
    require(${JSON.stringify(tfjsNodeDir)});
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const got = Array.from(tf.matMul(a, a).dataSync());
    const ok = tf.getBackend() === 'tensorflow' && JSON.stringify(got) === JSON.stringify([7, 10, 15, 22]);
    console.log(JSON.stringify({ ok, backend: tf.getBackend(), got, tfVersion: tf.version_core }));
  `;
  const out = run(step, process.execPath, ['-e', probe], { cwd: root });
  const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  const seen = line ? JSON.parse(line) : undefined;
  if (!seen || !seen.ok) {
    throw new StepError(step, `the addon loaded but the check failed: ${line || 'no result'}`, out);
  }
  return seen;
}

/** Fast path: a manifest for these versions, its addon present, and the addon loads. */
function alreadyProvisioned(tfjsVersion) {
  const m = readJson(manifestPath);
  if (!m || m.tfjsNode !== tfjsVersion || m.libtensorflow?.version !== TF_VERSION) return false;
  if (!fs.existsSync(path.join(nativeDir, m.addon))) return false;
  try {
    verify('checking the existing build');
    return true;
  } catch (err) {
    say(`existing build does not load (${err.message}); rebuilding`);
    return false;
  }
}

/** Step 1: tfjs-node's JavaScript and binding sources, sharing the root tfjs-core. */
function installTfjsNode(tfjsVersion) {
  const have = readJson(path.join(tfjsNodeDir, 'package.json'));
  if (!force && have && have.version === tfjsVersion && fs.existsSync(path.join(nativeDir, 'node_modules', '@mapbox', 'node-pre-gyp'))) {
    say(`@tensorflow/tfjs-node ${tfjsVersion} already in ${shown(nativeDir)}/`);
    return;
  }
  const t = Date.now();
  say(`installing @tensorflow/tfjs-node@${tfjsVersion} (scripts off, from the npm registry) ...`);
  fs.mkdirSync(nativeDir, { recursive: true });
  const npmCli = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath) ? process.env.npm_execpath : undefined;
  const [cmd, pre] = npmCli ? [process.execPath, [npmCli]] : ['npm', []];
  run('npm install @tensorflow/tfjs-node', cmd, [
    ...pre,
    'install', '--ignore-scripts', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error',
    '--prefix', nativeDir, `@tensorflow/tfjs-node@${tfjsVersion}`,
  ]);
  // tfjs-node must register its kernels in slipkit's engine: drop the second tfjs copy npm
  // installed so that resolution from .native falls through to the root node_modules.
  const scope = path.join(nativeDir, 'node_modules', '@tensorflow');
  for (const name of fs.readdirSync(scope)) {
    if (name !== 'tfjs-node') fs.rmSync(path.join(scope, name), { recursive: true, force: true });
  }
  fs.rmSync(path.join(tfjsNodeDir, 'node_modules', '@tensorflow'), { recursive: true, force: true });
  say(`  done in ${secondsSince(t)}`);
}

function findPython() {
  const candidates = [process.env.SLIPKIT_PYTHON, 'python3', 'python'].filter(Boolean);
  for (const py of candidates) {
    const res = spawnSync(py, ['-m', 'pip', '--version'], { encoding: 'utf8' });
    if (res.status === 0) return py;
  }
  throw new StepError('finding python', `no python with pip found (tried ${candidates.join(', ')}); set SLIPKIT_PYTHON`);
}

/** Extracts the two shared libraries, the closure of the C-API headers named, and whole header trees. */
const EXTRACT_PY = String.raw`
import json, os, re, shutil, sys, zipfile
wheel, dest, roots, trees = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
z = zipfile.ZipFile(wheel)
names = set(z.namelist())
os.makedirs(os.path.join(dest, 'lib'), exist_ok=True)
for lib in ('libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'):
    with z.open('tensorflow/' + lib) as src, open(os.path.join(dest, 'lib', lib), 'wb') as out:
        shutil.copyfileobj(src, out, 1 << 20)
inc = 'tensorflow/include/'
todo, done = list(roots), set()
while todo:
    rel = todo.pop()
    if rel in done or inc + rel not in names:
        continue
    done.add(rel)
    data = z.read(inc + rel)
    target = os.path.join(dest, 'include', rel)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    open(target, 'wb').write(data)
    todo += [m.decode() for m in re.findall(rb'#include\s+"([^"]+)"', data)]
for name in names:
    rel = name[len(inc):]
    if name.startswith(inc) and not name.endswith('/') and any(rel.startswith(t) for t in trees):
        target = os.path.join(dest, 'include', rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(name) as src, open(target, 'wb') as out:
            shutil.copyfileobj(src, out)
        done.add(rel)
missing = [r for r in roots if r not in done]
if missing:
    sys.exit('headers missing from the wheel: ' + ', '.join(missing))
print(json.dumps({'headers': sorted(done)}))
`;

/** The TensorFlow headers tfjs-node's binding includes directly; the rest follow from them. */
function bindingHeaderRoots() {
  const roots = new Set();
  const dir = path.join(tfjsNodeDir, 'binding');
  for (const file of fs.readdirSync(dir)) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const m of text.matchAll(/#include\s+"(tensorflow\/[^"]+)"/g)) roots.add(m[1]);
  }
  return [...roots];
}

/** Step 2: the TensorFlow C API from PyPI, cached in .native/libtensorflow-<version>/. */
function provisionLibtensorflow(python) {
  const marker = path.join(libDir, 'complete.json');
  const existing = readJson(marker);
  if (!force && existing && existing.layout === EXTRACT_LAYOUT) {
    say(`libtensorflow ${TF_VERSION} already extracted in ${shown(libDir)}/`);
    return existing;
  }
  const wheelDir = path.join(nativeDir, 'wheel-download');
  fs.rmSync(wheelDir, { recursive: true, force: true });
  fs.rmSync(libDir, { recursive: true, force: true });
  let t = Date.now();
  say(`downloading tensorflow-cpu==${TF_VERSION} wheel from PyPI (about 270 MB; pip's cache is reused) ...`);
  run('pip download tensorflow-cpu', python, [
    '-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '--quiet',
    '--platform', WHEEL_PLATFORM, '--python-version', WHEEL_PYTHON,
    '-d', wheelDir, `tensorflow-cpu==${TF_VERSION}`,
  ]);
  const wheel = fs.readdirSync(wheelDir).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new StepError('pip download tensorflow-cpu', `pip reported success but left no wheel in ${wheelDir}`);
  say(`  ${wheel} in ${secondsSince(t)}`);
  t = Date.now();
  say('extracting libtensorflow_cc.so.2, libtensorflow_framework.so.2, the C API headers and Eigen ...');
  const roots = [...bindingHeaderRoots(), ...FUSED_OPS_HEADER_ROOTS];
  const out = run('extracting the wheel', python, ['-c', EXTRACT_PY, path.join(wheelDir, wheel), libDir, JSON.stringify(roots), JSON.stringify(HEADER_TREES)]);
  const { headers } = JSON.parse(out.trim().split('\n').pop());
  fs.rmSync(wheelDir, { recursive: true, force: true });
  const info = { version: TF_VERSION, source: `PyPI tensorflow-cpu ${TF_VERSION} (${wheel})`, headers: headers.length, layout: EXTRACT_LAYOUT };
  fs.writeFileSync(marker, JSON.stringify(info, null, 2) + '\n');
  say(`  ${headers.length} headers and 2 libraries in ${secondsSince(t)}`);
  return info;
}

function relink(target, linkPath) {
  fs.rmSync(linkPath, { recursive: true, force: true });
  fs.symlinkSync(path.relative(path.dirname(linkPath), target), linkPath);
}

/**
 * Step 3a: tfjs-node's deps/ laid out the way its binding.gyp and install script expect, as
 * relative links into the cache. The addon is linked with -ltensorflow but records the soname
 * libtensorflow_cc.so.2, so both names are present; the libtensorflow.so.<tfjs's version> name
 * makes tfjs-node's own install script (on a later `npm rebuild`) see a library and keep deps/.
 */
function layOutDeps() {
  const deps = path.join(tfjsNodeDir, 'deps');
  const depsLib = path.join(deps, 'lib');
  fs.rmSync(deps, { recursive: true, force: true });
  fs.mkdirSync(depsLib, { recursive: true });
  relink(path.join(libDir, 'include'), path.join(deps, 'include'));
  const cc = path.join(libDir, 'lib', 'libtensorflow_cc.so.2');
  const fw = path.join(libDir, 'lib', 'libtensorflow_framework.so.2');
  relink(cc, path.join(depsLib, 'libtensorflow_cc.so.2'));
  relink(fw, path.join(depsLib, 'libtensorflow_framework.so.2'));
  relink(cc, path.join(depsLib, 'libtensorflow.so'));
  relink(fw, path.join(depsLib, 'libtensorflow_framework.so'));
  const { depsLibTensorFlowPath } = require(path.join(tfjsNodeDir, 'scripts', 'deps-constants.js'));
  relink(cc, depsLibTensorFlowPath);
}

/** npm's own node-gyp: found next to the npm running us, or the global npm. */
function findNodeGyp() {
  const npmDirs = [];
  if (process.env.npm_execpath) npmDirs.push(path.resolve(path.dirname(process.env.npm_execpath), '..'));
  npmDirs.push(path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm'));
  const global = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' });
  if (global.status === 0) npmDirs.push(path.join(global.stdout.trim(), 'npm'));
  for (const dir of npmDirs) {
    const gyp = path.join(dir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (fs.existsSync(gyp)) return gyp;
  }
  throw new StepError('finding node-gyp', `npm's bundled node-gyp was not found (looked in ${npmDirs.join(', ')})`);
}

/** The install prefix whose include/node holds this node's headers (node-gyp's --nodedir). */
function findNodeHeaders() {
  const prefix = process.env.SLIPKIT_NODEDIR || path.resolve(path.dirname(process.execPath), '..');
  const needed = ['include/node/node_api.h', 'include/node/common.gypi'];
  const missing = needed.filter((f) => !fs.existsSync(path.join(prefix, f)));
  if (missing.length > 0) {
    throw new StepError(
      'finding the Node.js headers',
      `${missing.map((f) => path.join(prefix, f)).join(', ')} not found; install your distribution's Node.js development ` +
        'headers (or set SLIPKIT_NODEDIR to a prefix holding include/node) — node-gyp would otherwise download them from nodejs.org',
    );
  }
  return prefix;
}

function checkCompiler() {
  for (const tool of [process.env.CXX || 'g++', 'make']) {
    if (spawnSync(tool, ['--version'], { encoding: 'utf8' }).status !== 0) {
      throw new StepError('checking the C++ toolchain', `${tool} not found: install a C++ compiler and make (e.g. apt-get install build-essential)`);
    }
  }
}

/** Step 3b: compiles the addon (two C++ files) into the path node-pre-gyp will look up. */
function buildAddon({ nodeGyp, nodedir }) {
  const addon = expectedAddonPath();
  const napiVersion = /napi-v(\d+)/.exec(addon)?.[1];
  if (!napiVersion) throw new StepError('locating the addon path', `unexpected addon path ${addon}`);
  const t = Date.now();
  say(`compiling tfjs_binding.node (node-gyp from npm, headers from ${nodedir}/include/node) ...`);
  run('compiling the addon (node-gyp rebuild)', process.execPath, [
    nodeGyp, 'rebuild', `--nodedir=${nodedir}`, `--jobs=${Math.max(1, os.cpus().length)}`,
    `--napi_build_version=${napiVersion}`, '--module_name=tfjs_binding', `--module_path=${path.dirname(addon)}`,
  ], { cwd: tfjsNodeDir, env: { npm_config_nodedir: nodedir } });
  if (!fs.existsSync(addon)) throw new StepError('compiling the addon (node-gyp rebuild)', `node-gyp succeeded but ${addon} is missing`);
  say(`  ${shown(addon)} in ${secondsSince(t)}`);
  return { addon, napiVersion: Number(napiVersion) };
}

const FUSED_OPS_ADDON = path.join('fused-ops', 'fused_ops.node');

/** The fused ops' source files, sorted. */
function fusedOpsSources() {
  return fs.readdirSync(FUSED_OPS_DIR).filter((f) => /\.(cc|h)$/.test(f)).sort().map((f) => path.join(FUSED_OPS_DIR, f));
}

/** One hash over the names and contents of the fused ops' sources: a change to any rebuilds them. */
function fusedOpsSourceHash() {
  const hash = crypto.createHash('sha256');
  for (const file of fusedOpsSources()) hash.update(path.basename(file)).update('\0').update(fs.readFileSync(file)).update('\0');
  return hash.digest('hex');
}

/**
 * The x86-64 level the fused ops are compiled for: v3 (AVX2, FMA) where this CPU has it, the
 * baseline otherwise. Not -march=native, so that a .native/ copied to another machine of the same
 * level still runs; measured on Zen 4, native (AVX-512) was no faster than v3 for these kernels.
 */
function marchFlag() {
  let cpuinfo = '';
  try {
    cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '-march=x86-64';
  }
  const flags = new Set((cpuinfo.split('\n').find((l) => l.startsWith('flags')) || '').split(/\s+/));
  return ['avx', 'avx2', 'fma', 'bmi2', 'f16c', 'movbe'].every((f) => flags.has(f)) ? '-march=x86-64-v3' : '-march=x86-64';
}

/** Runs the fused ops once in a fresh process on tfjs-node and checks their results. */
function verifyFusedOps(addon) {
  const probe = `
    process.env.TF_CPP_MIN_LOG_LEVEL = process.env.TF_CPP_MIN_LOG_LEVEL || '2';
    const tf = require('@tensorflow/tfjs');
    require(${JSON.stringify(tfjsNodeDir)});
    const lib = require(${JSON.stringify(addon)});
    const b = tf.backend();
    const y = b.executeSingleOutput('SlipkitBiasResidual', [], [tf.tensor2d([[1, 2]]), tf.tensor2d([[3, 4]]), tf.tensor1d([10, 20])]);
    const eps = { name: 'eps', type: b.binding.TF_ATTR_FLOAT, value: 0 };
    const [xHat] = b.executeMultipleOutputs('SlipkitLayerNorm', [eps], [tf.tensor2d([[1, 3]])], 2);
    const got = [...y.dataSync(), ...xHat.dataSync()];
    console.log(JSON.stringify({ ok: JSON.stringify(got) === JSON.stringify([14, 26, -1, 1]), got, ops: lib.ops.length, threads: lib.threads }));
  `;
  const out = run('checking the fused ops', process.execPath, ['-e', probe], { cwd: root });
  const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  const seen = line ? JSON.parse(line) : undefined;
  if (!seen || !seen.ok) throw new StepError('checking the fused ops', `the fused ops loaded but gave wrong results: ${line || 'no result'}`, out);
  return seen;
}

/**
 * Step 5: compiles and checks the fused-ops addon. Returns the manifest entry; on failure the
 * entry carries the error instead of the addon (and the layers run without the fused ops).
 */
function buildFusedOps(nodedir) {
  const source = fusedOpsSourceHash();
  const out = path.join(nativeDir, FUSED_OPS_ADDON);
  const tmp = `${out}.tmp-${process.pid}`;
  const t = Date.now();
  const sources = fusedOpsSources().filter((f) => f.endsWith('.cc'));
  say(`compiling the fused ops (${sources.length} files in ${shown(FUSED_OPS_DIR)}/, ${marchFlag()}) ...`);
  try {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    run('compiling the fused ops', process.env.CXX || 'g++', [
      '-O3', marchFlag(), '-std=c++17', '-shared', '-fPIC', '-pthread', '-DNODE_GYP_MODULE_NAME=slipkit_fused_ops',
      '-I', path.join(nodedir, 'include', 'node'), '-I', path.join(libDir, 'include'),
      ...sources, '-o', tmp,
      '-L', path.join(libDir, 'lib'), '-l:libtensorflow_framework.so.2',
      `-Wl,-rpath,$ORIGIN/${path.relative(path.dirname(out), path.join(libDir, 'lib'))}`,
    ]);
    fs.renameSync(tmp, out);
    const seen = verifyFusedOps(out);
    say(`  ${shown(out)}: ${seen.ops} ops on ${seen.threads} threads, in ${secondsSince(t)}`);
    return { addon: FUSED_OPS_ADDON, source };
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    if (err.output) process.stderr.write(`---- output of the failed step (last 40 lines) ----\n${err.output.trim().split('\n').slice(-40).join('\n')}\n----\n`);
    say(`the fused ops were NOT built (${err.message}); the native backend works without them, with more element-wise passes`);
    return { source, error: `${err.step || 'building'}: ${err.message}` };
  }
}

/** On an otherwise provisioned install: (re)builds the fused ops when missing or built from another source. */
function ensureFusedOps() {
  const manifest = readJson(manifestPath);
  const built = manifest.fusedOps;
  if (built && built.addon && built.source === fusedOpsSourceHash() && fs.existsSync(path.join(nativeDir, built.addon))) return;
  const nodedir = findNodeHeaders();
  checkCompiler();
  provisionLibtensorflow(findPython());
  manifest.fusedOps = buildFusedOps(nodedir);
  fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  failInCiWithoutFusedOps(manifest.fusedOps);
}

/**
 * Step 6 (scripts/setup-gemm.js): builds the GEMM addon, installs the candidate BLAS libraries
 * and records which GEMM the products run on. Redone only when its sources or settings change.
 */
function ensureGemmChoice() {
  const manifest = readJson(manifestPath);
  const ctx = {
    root, nativeDir, libDir, tfjsNodeDir, force, run, say, marchFlag,
    nodedir: findNodeHeaders,
    python: (() => {
      let python;
      return () => (python ??= findPython());
    })(),
  };
  const gemm = ensureGemm(ctx, manifest.gemm);
  if (gemm !== manifest.gemm) {
    manifest.gemm = gemm;
    fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  }
  if (inCi && gemm.error) throw new StepError('building the GEMM addon', `the GEMM addon was not built (${gemm.error})`);
}

/** Outside CI a failed fused-ops build is recorded and tolerated; under CI=true it fails the setup. */
function failInCiWithoutFusedOps(fusedOps) {
  if (inCi && fusedOps.error) {
    const sep = fusedOps.error.indexOf(': ');
    throw new StepError(fusedOps.error.slice(0, sep), `the fused ops were not built (${fusedOps.error.slice(sep + 2)})`);
  }
}

/** Keeps two setups (e.g. parallel CI jobs) from building into the same directory at once. */
function withLock(fn) {
  fs.mkdirSync(nativeDir, { recursive: true });
  const lock = path.join(nativeDir, '.setup.lock');
  const deadline = Date.now() + 15 * 60 * 1000;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(fs.readFileSync(lock, 'utf8'));
      let alive = false;
      try {
        alive = holder > 0 && process.kill(holder, 0);
      } catch {
        alive = false;
      }
      if (!alive) fs.rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw new StepError('waiting for another setup', `process ${holder} holds ${lock}`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function setUp() {
  checkPlatform();
  const tfjsVersion = rootTfjsVersion();
  if (!force && alreadyProvisioned(tfjsVersion)) {
    ensureFusedOps();
    ensureGemmChoice();
    say(`native backend ready (tfjs-node ${tfjsVersion} on libtensorflow ${TF_VERSION}), checked in ${secondsSince(started)}`);
    return;
  }
  // Every tool is checked before anything is downloaded, so a missing one fails in a second.
  const nodedir = findNodeHeaders();
  checkCompiler();
  const tools = { nodedir, nodeGyp: findNodeGyp(), python: findPython() };
  installTfjsNode(tfjsVersion);
  const lib = provisionLibtensorflow(tools.python);
  layOutDeps();
  const { addon, napiVersion } = buildAddon(tools);
  say('checking that the root @tensorflow/tfjs runs on it ...');
  const seen = verify('loading the built addon');
  const manifest = {
    tfjsNode: tfjsVersion,
    libtensorflow: { version: lib.version, source: lib.source },
    addon: path.relative(nativeDir, addon),
    napiVersion,
    builtWith: { node: process.version, platform: `${process.platform}-${process.arch}` },
    builtAt: new Date().toISOString(),
    fusedOps: buildFusedOps(tools.nodedir),
  };
  fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  failInCiWithoutFusedOps(manifest.fusedOps);
  ensureGemmChoice();
  say(`native backend ready: tf.getBackend() = '${seen.backend}', tfjs-core ${seen.tfVersion}; total ${secondsSince(started)}`);
}

try {
  // Under CI the native backend is always built and tested: no variable turns that off.
  if (truthy(process.env.SLIPKIT_SKIP_NATIVE) && truthy(process.env.CI)) {
    say('SLIPKIT_SKIP_NATIVE is ignored: CI=true requires the native backend and its fused ops');
  }
  if (truthy(process.env.SLIPKIT_SKIP_NATIVE) && !truthy(process.env.CI)) {
    say('skipped (SLIPKIT_SKIP_NATIVE is set); slipkit will use the wasm or cpu backend');
  } else {
    withLock(setUp);
  }
} catch (err) {
  const step = err instanceof StepError ? err.step : 'setting up the native backend';
  if (err.output) {
    const tail = err.output.trim().split('\n').slice(-40).join('\n');
    process.stderr.write(`---- output of the failed step (last 40 lines) ----\n${tail}\n----\n`);
  }
  if (!(err instanceof StepError)) process.stderr.write(`${err.stack || err}\n`);
  say(`FAILED while ${step}: ${err.message}`);
  say('the native tensorflow backend is NOT available; slipkit will fall back to the webgpu, wasm or cpu backend.');
  say('fix the problem above and rerun `npm run setup:native` (add -- --verbose to see every tool\'s output).');
  if (optional && inCi) say(`(--optional ignored: ${CI_FATAL}; exiting with 1)`);
  else if (optional) say('(--optional: exiting with 0)');
  process.exitCode = optional && !inCi ? 0 : 1;
}

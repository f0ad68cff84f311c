/**
 * The GEMM part of scripts/setup-native.js: builds slipkit's GEMM addon
 * (core/backend/native/gemm/), installs the candidate BLAS libraries from PyPI wheels, times
 * the SLIP step's products on each against TensorFlow's own MatMul (scripts/gemm-probe.js, one
 * process per candidate, interleaved shape by shape), and records the choice in the manifest's
 * `gemm` entry, which core/backend/tensorflow.ts reads and `slipkit doctor` names.
 *
 * Candidates (SLIPKIT_GEMM_CANDIDATES, comma-separated; default openblas,mkl):
 *   openblas  scipy-openblas32 (OpenBLAS built for NumPy/SciPy; 8 MB wheel, 25 MB library)
 *   mkl       mkl (Intel oneMKL through libmkl_rt; 230 MB wheel, ~460 MB of libraries kept
 *             only when chosen)
 * TensorFlow's MatMul (oneDNN's matmul primitive when TF_ENABLE_ONEDNN_OPTS=1, as slipkit sets
 * it) is always the reference. A candidate is chosen only when the step's products take at most
 * CHOOSE_BELOW of TensorFlow's time in the same process, and only if each of its products agrees
 * with TensorFlow's to float32 rounding. SLIPKIT_GEMM=tensorflow|openblas|mkl skips the choice.
 *
 * Idempotent: with the same sources, candidates and setting, and the chosen library in place, it
 * does nothing.
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const GEMM_SOURCES_DIR = path.resolve(__dirname, '..', 'core', 'backend', 'native', 'gemm');
/** The fused ops' headers the GEMM addon includes. */
const SHARED_HEADERS = ['kernel_io.h', 'row_pool.h'].map((f) => path.resolve(GEMM_SOURCES_DIR, '..', f));
const PROBE = path.resolve(__dirname, 'gemm-probe.js');
const ADDON = path.join('gemm', 'gemm_ops.node');
/** A candidate must take at most this share of TensorFlow's time to be chosen (measurements move by a few %). */
const CHOOSE_BELOW = 0.95;
/** A product differing from TensorFlow's by more than this (relative to its largest entry) refuses the library. */
const MAX_REL_ERROR = 1e-4;

/**
 * Where each candidate comes from: a pinned wheel, the members to keep (regexp on the path in
 * the wheel), the file to dlopen, and whether to keep it when not chosen (the tests run the GEMM
 * path on the kept one whatever setup chose).
 */
const CANDIDATES = {
  openblas: {
    wheel: process.env.SLIPKIT_OPENBLAS_WHEEL || 'scipy-openblas32==0.3.34.481.3',
    members: /^scipy_openblas32\/lib\/libscipy_openblas\.so$/,
    library: 'libscipy_openblas.so',
    keep: true,
  },
  mkl: {
    wheel: process.env.SLIPKIT_MKL_WHEEL || 'mkl==2026.2.1',
    // libmkl_rt dispatches to the core, the sequential layer, the LP64 interface and one
    // CPU-specific kernel library; the others (ScaLAPACK, VML, OpenMP layers) are not needed.
    members: /\/lib\/libmkl_(rt|core|sequential|intel_lp64|def|mc3|avx2|avx512|avx10)\.so\.\d+$/,
    library: 'libmkl_rt.so.3',
    keep: false,
  },
};

const EXTRACT_PY = String.raw`
import json, os, re, shutil, sys, zipfile
wheel, dest, pattern = sys.argv[1], sys.argv[2], re.compile(sys.argv[3])
os.makedirs(dest, exist_ok=True)
kept = []
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if pattern.search(name):
            with z.open(name) as src, open(os.path.join(dest, os.path.basename(name)), 'wb') as out:
                shutil.copyfileobj(src, out, 1 << 20)
            kept.append(os.path.basename(name))
print(json.dumps(kept))
`;

function candidateNames() {
  const names = (process.env.SLIPKIT_GEMM_CANDIDATES || 'openblas,mkl').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !CANDIDATES[n]);
  if (unknown.length) throw new Error(`SLIPKIT_GEMM_CANDIDATES names unknown candidates: ${unknown.join(', ')} (known: ${Object.keys(CANDIDATES).join(', ')})`);
  return names;
}

/** The GEMM setting: `auto` (measure) or a forced candidate. */
function requested() {
  const value = process.env.SLIPKIT_GEMM || 'auto';
  if (value !== 'auto' && value !== 'tensorflow' && !CANDIDATES[value]) {
    throw new Error(`SLIPKIT_GEMM=${value}: expected auto, tensorflow or one of ${Object.keys(CANDIDATES).join(', ')}`);
  }
  return value;
}

/** One hash over the addon's sources, the probe, the candidates' pins and the setting: a change redoes the choice. */
function gemmSourceHash() {
  const hash = crypto.createHash('sha256');
  const files = [...fs.readdirSync(GEMM_SOURCES_DIR).filter((f) => /\.(cc|h)$/.test(f)).sort().map((f) => path.join(GEMM_SOURCES_DIR, f)), ...SHARED_HEADERS, PROBE];
  for (const file of files) hash.update(path.basename(file)).update('\0').update(fs.readFileSync(file)).update('\0');
  hash.update(JSON.stringify(candidateNames().map((n) => CANDIDATES[n].wheel))).update(requested());
  return hash.digest('hex');
}

/** True when the recorded choice is for these sources and what it needs is on disk. */
function upToDate(ctx, entry) {
  if (!entry || entry.source !== gemmSourceHash() || !entry.addon || !fs.existsSync(path.join(ctx.nativeDir, entry.addon))) return false;
  return Object.entries(entry.candidates).every(([name, c]) => !c.library || fs.existsSync(path.join(ctx.nativeDir, c.library)) || (name !== entry.chosen && !CANDIDATES[name]?.keep));
}

function buildAddon(ctx) {
  const out = path.join(ctx.nativeDir, ADDON);
  const tmp = `${out}.tmp-${process.pid}`;
  const sources = fs.readdirSync(GEMM_SOURCES_DIR).filter((f) => f.endsWith('.cc')).map((f) => path.join(GEMM_SOURCES_DIR, f));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  try {
    ctx.run('compiling the GEMM addon', process.env.CXX || 'g++', [
      '-O3', ctx.marchFlag(), '-std=c++17', '-shared', '-fPIC', '-pthread', '-DNODE_GYP_MODULE_NAME=slipkit_gemm',
      '-I', path.join(ctx.nodedir(), 'include', 'node'), '-I', path.join(ctx.libDir, 'include'),
      ...sources, '-o', tmp,
      '-L', path.join(ctx.libDir, 'lib'), '-l:libtensorflow_framework.so.2', '-ldl',
      `-Wl,-rpath,$ORIGIN/${path.relative(path.dirname(out), path.join(ctx.libDir, 'lib'))}`,
    ]);
    fs.renameSync(tmp, out);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return ADDON;
}

/** Installs one candidate's library from its wheel into .native/gemm/<name>/; returns its manifest record. */
function installCandidate(ctx, name) {
  const spec = CANDIDATES[name];
  const dir = path.join(ctx.nativeDir, 'gemm', name);
  const library = path.join(dir, spec.library);
  const relative = path.relative(ctx.nativeDir, library);
  if (fs.existsSync(library) && fs.existsSync(path.join(dir, 'from.txt'))) {
    return { library: relative, from: fs.readFileSync(path.join(dir, 'from.txt'), 'utf8').trim() };
  }
  const download = path.join(ctx.nativeDir, 'gemm', `download-${name}`);
  fs.rmSync(download, { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    const t = Date.now();
    ctx.say(`downloading ${spec.wheel} from PyPI ...`);
    ctx.run(`pip download ${spec.wheel}`, ctx.python(), [
      '-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '--quiet',
      '--platform', 'manylinux_2_28_x86_64', '--python-version', '3.11', '-d', download, spec.wheel,
    ]);
    const wheel = fs.readdirSync(download).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error(`pip left no wheel in ${download}`);
    const kept = JSON.parse(ctx.run(`extracting ${wheel}`, ctx.python(), ['-c', EXTRACT_PY, path.join(download, wheel), dir, spec.members.source]).trim().split('\n').pop());
    if (!kept.includes(spec.library)) throw new Error(`${wheel} has no ${spec.library}`);
    fs.writeFileSync(path.join(dir, 'from.txt'), `PyPI ${wheel}\n`);
    ctx.say(`  ${name}: ${kept.length} libraries from ${wheel} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return { library: relative, from: `PyPI ${wheel}` };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    ctx.say(`  ${name} not installed: ${err.message}`);
    return { error: err.message };
  } finally {
    fs.rmSync(download, { recursive: true, force: true });
  }
}

/** Runs scripts/gemm-probe.js with one candidate; returns its JSON result. */
function probe(ctx, addon, library) {
  const out = ctx.run('timing the GEMM candidates', process.execPath, [PROBE, '--tfjs-node', ctx.tfjsNodeDir, '--addon', addon, '--library', library, '--reps', '3'], { cwd: ctx.root });
  return JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop());
}

/** Measures the installed candidates and picks one (or TensorFlow's MatMul); returns { chosen, why, measured }. */
function choose(ctx, addonPath, candidates) {
  const setting = requested();
  if (setting !== 'auto') {
    if (setting !== 'tensorflow' && !candidates[setting]?.library) throw new Error(`SLIPKIT_GEMM=${setting}, but ${setting} could not be installed: ${candidates[setting]?.error}`);
    return { chosen: setting, why: `SLIPKIT_GEMM=${setting} at setup`, measured: [] };
  }
  const measured = [];
  const refused = [];
  for (const [name, c] of Object.entries(candidates)) {
    if (!c.library) continue;
    const t = Date.now();
    let r;
    try {
      r = probe(ctx, addonPath, path.join(ctx.nativeDir, c.library));
    } catch (err) {
      refused.push(`${name} (its probe failed: ${err.message})`);
      continue;
    }
    const worst = Math.max(...r.shapes.map((s) => s.maxRelError));
    ctx.say(`  ${name} (${r.flavour}): the step's products ${r.libMs.toFixed(0)} ms against TensorFlow's ${r.tfMs.toFixed(0)} ms (${(r.libMs / r.tfMs).toFixed(2)}×), largest relative difference ${worst.toExponential(1)}, in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    if (!(worst <= MAX_REL_ERROR)) refused.push(`${name} (its products differ from TensorFlow's by ${worst.toExponential(1)})`);
    else measured.push({ candidate: name, ms: Math.round(r.libMs), tensorflowMs: Math.round(r.tfMs) });
  }
  const best = [...measured].sort((a, b) => a.ms / a.tensorflowMs - b.ms / b.tensorflowMs)[0];
  const ratios = measured.map((m) => `${m.candidate} ${(m.ms / m.tensorflowMs).toFixed(2)}×`).join(', ');
  const refusedText = refused.length ? `; refused: ${refused.join(', ')}` : '';
  if (best && best.ms / best.tensorflowMs <= CHOOSE_BELOW) {
    return { chosen: best.candidate, why: `fastest at the SLIP step's shapes at setup (${ratios} TensorFlow's time)${refusedText}`, measured };
  }
  const why = measured.length ? `no candidate took at most ${CHOOSE_BELOW}× TensorFlow's time at the SLIP step's shapes at setup (${ratios})${refusedText}` : `no candidate library could be installed${refusedText}`;
  return { chosen: 'tensorflow', why, measured };
}

/**
 * Builds, installs, measures and chooses, unless the manifest's entry is up to date. Returns
 * the manifest entry (with `error` when the addon could not be built: the products then stay on
 * TensorFlow's MatMul).
 */
function ensureGemm(ctx, previous) {
  if (!ctx.force && upToDate(ctx, previous)) return previous;
  const source = gemmSourceHash();
  const t = Date.now();
  ctx.say(`setting up the GEMM (core/backend/native/gemm/; candidates ${candidateNames().join(', ')}) ...`);
  let addon;
  try {
    addon = buildAddon(ctx);
  } catch (err) {
    if (err.output) process.stderr.write(`---- output of the failed step (last 40 lines) ----\n${err.output.trim().split('\n').slice(-40).join('\n')}\n----\n`);
    ctx.say(`the GEMM addon was NOT built (${err.message}); products stay on TensorFlow's MatMul`);
    return { source, candidates: {}, measured: [], chosen: 'tensorflow', why: 'the GEMM addon failed to build', error: `${err.step || 'building'}: ${err.message}` };
  }
  const candidates = {};
  for (const name of candidateNames()) candidates[name] = installCandidate(ctx, name);
  const { chosen, why, measured } = choose(ctx, path.join(ctx.nativeDir, addon), candidates);
  // Libraries neither chosen nor kept for the tests are removed (MKL's are ~460 MB).
  for (const [name, c] of Object.entries(candidates)) {
    if (c.library && name !== chosen && !CANDIDATES[name].keep) {
      fs.rmSync(path.join(ctx.nativeDir, 'gemm', name), { recursive: true, force: true });
      c.library = undefined;
      c.removed = 'not chosen';
    }
  }
  ctx.say(`  GEMM: ${chosen} (${why}), in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return { addon, source, candidates, measured, chosen, why };
}

module.exports = { ensureGemm, gemmSourceHash, CANDIDATES };

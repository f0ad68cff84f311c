#!/usr/bin/env node
/**
 * Times the matrix products of one SLIP training step on the native `tensorflow` backend:
 * TensorFlow's own MatMul (oneDNN/Eigen, as core/nn/matmul.ts runs it) and, when --library is
 * given, slipkit's SlipkitGemm on that BLAS library, interleaved shape by shape in this one
 * process so that a neighbour's load hits both alike. Each product's result is also compared
 * with TensorFlow's, so a library that computes wrong is refused, not chosen.
 *
 * scripts/setup-native.js runs it once per candidate library to choose the GEMM; bench/matmul.ts
 * runs it to print GFLOP/s per candidate at the step's shapes. Plain JavaScript, so that the
 * setup can run it before anything is compiled.
 *
 *   node scripts/gemm-probe.js --tfjs-node DIR [--addon gemm_ops.node --library libX.so] [--model small|vits16]
 *                              [--batch N] [--reps 5] [--max-shapes N]
 *
 * Prints one JSON line: { library, flavour, threads, shapes: [{ name, m, n, k, transposeA,
 * transposeB, count, tfMs, libMs, maxRelError }], tfMs, libMs } where the totals weigh each
 * shape's median time by how often the step runs it.
 */
'use strict';

/** The SLIP benchmark models (bench/specs/slip-*.json): ViT and text tower sizes and the SimCLR head. */
const MODELS = {
  small: { img: 64, patch: 8, vw: 192, vd: 6, tw: 256, td: 4, ctx: 32, embed: 256, head: [4096, 4096, 256], batch: 64 },
  vits16: { img: 224, patch: 16, vw: 384, vd: 12, tw: 512, td: 12, ctx: 77, embed: 512, head: [4096, 4096, 256], batch: 8 },
};

/**
 * The products of one step, grouped by shape: for each linear layer x [rows, in]·W [in, out],
 * the forward product, the input gradient dY·Wᵀ and the weight gradient Xᵀ·dY. The ViT runs the
 * three views as one batch; the SimCLR head runs once per SSL view.
 */
function stepShapes(model, batch) {
  const m = MODELS[model];
  const shapes = new Map();
  const add = (name, rows, inp, out, count, withInputGradient = true) => {
    const put = (suffix, s) => {
      const key = `${s.m}x${s.n}x${s.k}${s.transposeA ? 'ᵀa' : ''}${s.transposeB ? 'ᵀb' : ''}`;
      const seen = shapes.get(key);
      if (seen) seen.count += count;
      else shapes.set(key, { name: `${name} ${suffix}`, ...s, count });
    };
    put('forward', { m: rows, n: out, k: inp, transposeA: false, transposeB: false });
    if (withInputGradient) put('dX', { m: rows, n: inp, k: out, transposeA: false, transposeB: true });
    put('dW', { m: inp, n: out, k: rows, transposeA: true, transposeB: false });
  };
  const tokens = (m.img / m.patch) ** 2;
  const vitRows = 3 * batch * (tokens + 1);
  add('vit patch embedding', 3 * batch * tokens, 3 * m.patch * m.patch, m.vw, 1, false);
  for (const [name, inp, out] of [['qkv', m.vw, 3 * m.vw], ['proj', m.vw, m.vw], ['fc1', m.vw, 4 * m.vw], ['fc2', 4 * m.vw, m.vw]]) {
    add(`vit ${name}`, vitRows, inp, out, m.vd);
  }
  const textRows = batch * m.ctx;
  for (const [name, inp, out] of [['qkv', m.tw, 3 * m.tw], ['proj', m.tw, m.tw], ['fc1', m.tw, 4 * m.tw], ['fc2', 4 * m.tw, m.tw]]) {
    add(`text ${name}`, textRows, inp, out, m.td);
  }
  const [h1, h2, out] = m.head;
  add('head fc1', batch, m.vw, h1, 2);
  add('head fc2', batch, h1, h2, 2);
  add('head fc3', batch, h2, out, 2);
  add('image projection', batch, m.vw, m.embed, 1);
  add('text projection', batch, m.tw, m.embed, 1);
  return [...shapes.values()];
}

/**
 * FLOPs of one step's matrix products: the linear layers' (stepShapes) and attention's per-head
 * products (q·kᵀ and P·v forward; dV, dP, dQ and dK backward: six of 2·T²·d per head and image).
 */
function stepFlops(model, batch) {
  const m = MODELS[model];
  const linear = stepShapes(model, batch).reduce((sum, s) => sum + 2 * s.m * s.n * s.k * s.count, 0);
  const tokens = (m.img / m.patch) ** 2 + 1;
  // Each tower's attention: 6 products of 2·T²·(width/heads) for each of batch·heads, i.e. 12·T²·width per image.
  const vit = m.vd * 3 * batch * 12 * tokens * tokens * m.vw;
  const text = m.td * batch * 12 * m.ctx * m.ctx * m.tw;
  return { linear, attention: vit + text, total: linear + vit + text };
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function main() {
  process.env.TF_CPP_MIN_LOG_LEVEL = process.env.TF_CPP_MIN_LOG_LEVEL || '2';
  process.env.TF_ENABLE_ONEDNN_OPTS = process.env.TF_ENABLE_ONEDNN_OPTS || '1';
  const tf = require('@tensorflow/tfjs');
  require(arg('tfjs-node'));
  const model = arg('model', 'small');
  if (!MODELS[model]) throw new Error(`--model must be one of ${Object.keys(MODELS).join(', ')}`);
  const batch = Number(arg('batch', String(MODELS[model].batch)));
  const reps = Math.max(1, Number(arg('reps', '5')));
  const library = arg('library');
  const b = tf.backend();
  let loaded = { library: 'tensorflow', flavour: 'TensorFlow MatMul', threads: 0 };
  if (library) loaded = require(arg('addon')).load(library);
  const attr = (name, value) => ({ name, type: b.binding.TF_ATTR_BOOL, value });
  const floatT = { name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT };
  // As core/nn/matmul.ts runs TensorFlow's products: MatMul, or BatchMatMulV2 for a·bᵀ.
  const tfProduct = (x, y, s) =>
    s.transposeB
      ? b.executeSingleOutput('BatchMatMulV2', [attr('adj_x', s.transposeA), attr('adj_y', true), floatT], [x, y])
      : b.executeSingleOutput('MatMul', [attr('transpose_a', s.transposeA), attr('transpose_b', false), floatT], [x, y]);
  const libProduct = (x, y, s) => b.executeSingleOutput('SlipkitGemm', [attr('transpose_a', s.transposeA), attr('transpose_b', s.transposeB)], [x, y]);
  // The product is waited for by reading one entry of it: y.dataSync() would also copy the whole
  // output into a fresh JavaScript array (29 MB for the ViT's qkv forward product), which cost
  // more than the product itself for the large outputs and which PyTorch's probe does not spend.
  const timed = (f) => {
    const t = process.hrtime.bigint();
    const y = f();
    const corner = tf.slice(y, [0, 0], [1, 1]);
    corner.dataSync();
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    tf.dispose([y, corner]);
    return ms;
  };
  const shapes = stepShapes(model, batch).slice(0, Number(arg('max-shapes', '1000')));
  const rows = [];
  for (const s of shapes) {
    const x = tf.randomUniform(s.transposeA ? [s.k, s.m] : [s.m, s.k], -1, 1, 'float32', 1);
    const y = tf.randomUniform(s.transposeB ? [s.n, s.k] : [s.k, s.n], -1, 1, 'float32', 2);
    const row = { ...s, tfMs: 0, libMs: undefined, maxRelError: undefined };
    if (library) {
      const ref = tfProduct(x, y, s);
      const got = libProduct(x, y, s);
      const err = tf.tidy(() => tf.max(tf.abs(tf.sub(got, ref))).div(tf.max(tf.abs(ref)).add(1e-30)).dataSync()[0]);
      row.maxRelError = err;
      tf.dispose([ref, got]);
    } else {
      tfProduct(x, y, s).dispose();
    }
    const tfTimes = [];
    const libTimes = [];
    for (let r = 0; r < reps; r++) {
      tfTimes.push(timed(() => tfProduct(x, y, s)));
      if (library) libTimes.push(timed(() => libProduct(x, y, s)));
    }
    row.tfMs = median(tfTimes);
    if (library) row.libMs = median(libTimes);
    rows.push(row);
    tf.dispose([x, y]);
  }
  const total = (key) => rows.reduce((sum, r) => sum + r[key] * r.count, 0);
  const result = { library: loaded.library, flavour: loaded.flavour, threads: loaded.threads, model, batch, shapes: rows, tfMs: total('tfMs') };
  if (library) result.libMs = total('libMs');
  process.stdout.write(JSON.stringify(result) + '\n');
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  }
}

module.exports = { stepShapes, stepFlops, MODELS };

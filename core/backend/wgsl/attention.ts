import type * as tf from '@tensorflow/tfjs';
import type { FusedAttrs } from '../fused/registry';
import { runWgsl, workgroupsFor, type WgslKernel } from './runner';

/*
 * Attention from packed projections, reading the heads in place through strides (no split,
 * transpose or merge passes). One workgroup of 64 invocations per (sequence·head, query row):
 * the row of scores stays in workgroup memory (up to MAX_TOKENS keys; longer sequences run
 * the reference), so the scores, the softmax and the weighted sum of values are one dispatch.
 * The backward pass is two dispatches: per query row (dS and dq), then per key row (dk, dv).
 */

const LANES = 64;
/** Keys whose scores fit in workgroup memory (4 KiB of the 16 KiB WebGPU guarantees). */
export const MAX_TOKENS = 1024;

const COMMON = /* wgsl */ `
struct U { rows: u32, tokens: u32, heads: u32, d: u32, causal: u32, scale: f32 }
var<workgroup> row: array<f32, ${MAX_TOKENS}>;
var<workgroup> part: array<f32, ${LANES}>;
fn reduceSum(t: u32, v: f32) -> f32 {
  part[t] = v;
  workgroupBarrier();
  for (var s = ${LANES / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) { part[t] = part[t] + part[t + s]; }
    workgroupBarrier();
  }
  let r = part[0];
  workgroupBarrier();
  return r;
}
fn reduceMax(t: u32, v: f32) -> f32 {
  part[t] = v;
  workgroupBarrier();
  for (var s = ${LANES / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) { part[t] = max(part[t], part[t + s]); }
    workgroupBarrier();
  }
  let r = part[0];
  workgroupBarrier();
  return r;
}`;

/** Index arithmetic shared by the kernels: which sequence, head and row this workgroup has. */
const LOCATE = /* wgsl */ `
@compute @workgroup_size(${LANES})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let id = wg.x + wg.y * groups.x;
  if (id >= u.rows) { return; }
  let t = lid.x;
  let T = u.tokens;
  let bh = id / T;
  let i = id % T;
  let b = bh / u.heads;
  let h = bh % u.heads;
  let W = u.heads * u.d;
  let W3 = 3u * W;
  let rowI = (b * T + i) * W3;
  let seq = b * T * W3;
  let pRow = (bh * T + i) * T;`;

const forward: WgslKernel = {
  key: 'slipkit-attention',
  code: /* wgsl */ `
@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> context: array<f32>;
@group(0) @binding(3) var<storage, read_write> probs: array<f32>;
@group(0) @binding(4) var<storage, read_write> biased: array<f32>;
@group(0) @binding(5) var<uniform> u: U;
${COMMON}
${LOCATE}
  // qkv + b for this row's q, k and v of head h (every element is written by one workgroup).
  for (var c = t; c < 3u * u.d; c += ${LANES}u) {
    let col = (c / u.d) * W + h * u.d + c % u.d;
    biased[rowI + col] = qkv[rowI + col] + bias[col];
  }
  let qOff = h * u.d;
  let kOff = W + h * u.d;
  let vOff = 2u * W + h * u.d;
  var localMax = -3.4e38;
  for (var j = t; j < T; j += ${LANES}u) {
    var s = 0.0;
    let rowJ = seq + j * W3;
    for (var c = 0u; c < u.d; c++) {
      s += ((qkv[rowI + qOff + c] + bias[qOff + c]) * u.scale) * (qkv[rowJ + kOff + c] + bias[kOff + c]);
    }
    if (u.causal != 0u && j > i) { s = -1e9; }
    row[j] = s;
    localMax = max(localMax, s);
  }
  let m = reduceMax(t, localMax);
  var localSum = 0.0;
  for (var j = t; j < T; j += ${LANES}u) {
    let e = exp(row[j] - m);
    row[j] = e;
    localSum += e;
  }
  let total = reduceSum(t, localSum);
  for (var j = t; j < T; j += ${LANES}u) {
    let p = row[j] / total;
    row[j] = p;
    probs[pRow + j] = p;
  }
  workgroupBarrier();
  let outRow = (b * T + i) * W + h * u.d;
  for (var c = t; c < u.d; c += ${LANES}u) {
    var o = 0.0;
    for (var j = 0u; j < T; j++) { o += row[j] * (qkv[seq + j * W3 + vOff + c] + bias[vOff + c]); }
    context[outRow + c] = o;
  }
}`,
};

/** Pass 1 of the backward pass, per query row i: dS = P ⊙ (dP − rowsum(dP ⊙ P)) with dP = dO·Vᵀ, and dQ = scale·dS·K. */
const backwardQueries: WgslKernel = {
  key: 'slipkit-attention-grad-queries',
  code: /* wgsl */ `
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> biased: array<f32>;
@group(0) @binding(2) var<storage, read> probs: array<f32>;
@group(0) @binding(3) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(4) var<storage, read_write> dS: array<f32>;
@group(0) @binding(5) var<uniform> u: U;
${COMMON}
${LOCATE}
  let dyRow = (b * T + i) * W + h * u.d;
  var localDot = 0.0;
  for (var j = t; j < T; j += ${LANES}u) {
    var dp = 0.0;
    let rowJ = seq + j * W3 + 2u * W + h * u.d;
    for (var c = 0u; c < u.d; c++) { dp += dy[dyRow + c] * biased[rowJ + c]; }
    row[j] = dp;
    localDot += dp * probs[pRow + j];
  }
  let rowDot = reduceSum(t, localDot);
  for (var j = t; j < T; j += ${LANES}u) {
    let ds = probs[pRow + j] * (row[j] - rowDot);
    row[j] = ds;
    dS[pRow + j] = ds;
  }
  workgroupBarrier();
  for (var c = t; c < u.d; c += ${LANES}u) {
    var dq = 0.0;
    for (var j = 0u; j < T; j++) { dq += row[j] * biased[seq + j * W3 + W + h * u.d + c]; }
    dqkv[rowI + h * u.d + c] = dq * u.scale;
  }
}`,
};

/** Pass 2, per key row j (the workgroup's "i"): dK = dSᵀ·(scale·Q) and dV = Pᵀ·dO, written into pass 1's output. */
const backwardKeys: WgslKernel = {
  key: 'slipkit-attention-grad-keys',
  code: /* wgsl */ `
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> biased: array<f32>;
@group(0) @binding(2) var<storage, read> probs: array<f32>;
@group(0) @binding(3) var<storage, read> dS: array<f32>;
@group(0) @binding(4) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(5) var<uniform> u: U;
${COMMON}
${LOCATE}
  let j = i;
  for (var c = t; c < u.d; c += ${LANES}u) {
    var dk = 0.0;
    var dv = 0.0;
    for (var q = 0u; q < T; q++) {
      let at = (bh * T + q) * T + j;
      dk += dS[at] * (biased[seq + q * W3 + h * u.d + c] * u.scale);
      dv += probs[at] * dy[(b * T + q) * W + h * u.d + c];
    }
    dqkv[rowI + W + h * u.d + c] = dk;
    dqkv[rowI + 2u * W + h * u.d + c] = dv;
  }
}`,
};

interface Shape {
  batch: number;
  tokens: number;
  heads: number;
  d: number;
}

function shapeOf(qkv: tf.TensorInfo, attrs: FusedAttrs): Shape {
  const tokens = attrs.tokens!;
  const heads = attrs.heads!;
  return { batch: qkv.shape[0]! / tokens, tokens, heads, d: qkv.shape[1]! / 3 / heads };
}

const uniforms = (s: Shape, attrs: FusedAttrs) => [s.batch * s.heads * s.tokens, s.tokens, s.heads, s.d, attrs.causal ? 1 : 0, { f: attrs.scale! }];

/** SlipkitAttention on webgpu; undefined (the reference runs) when a row of scores does not fit in workgroup memory. */
export function attentionWgsl([qkv, bias]: tf.TensorInfo[], attrs: FusedAttrs, backend: unknown): tf.TensorInfo[] | undefined {
  const s = shapeOf(qkv!, attrs);
  if (s.tokens > MAX_TOKENS) return undefined;
  const rows = s.batch * s.heads * s.tokens;
  return runWgsl(backend, forward, [qkv!, bias!], [[s.batch * s.tokens, s.heads * s.d], [s.batch * s.heads, s.tokens, s.tokens], qkv!.shape], uniforms(s, attrs), workgroupsFor(rows, 1));
}

interface Disposer {
  disposeData(dataId: object): void;
}

export function attentionGradWgsl([dy, biased, probs]: tf.TensorInfo[], attrs: FusedAttrs, backend: unknown): tf.TensorInfo[] | undefined {
  const s = shapeOf(biased!, attrs);
  if (s.tokens > MAX_TOKENS) return undefined;
  const rows = s.batch * s.heads * s.tokens;
  const groups = workgroupsFor(rows, 1);
  const [dqkv, dS] = runWgsl(backend, backwardQueries, [dy!, biased!, probs!], [biased!.shape, probs!.shape], uniforms(s, attrs), groups);
  runWgsl(backend, backwardKeys, [dy!, biased!, probs!, dS!], [], uniforms(s, attrs), groups, [dqkv!]);
  // Freed once the queue no longer needs it (the backend defers it while a pending command uses it).
  (backend as Disposer).disposeData(dS!.dataId);
  return [dqkv!];
}

import type * as tf from '@tensorflow/tfjs';
import type { FusedAttrs } from '../fused/registry';
import { runWgsl, workgroupsFor, type WgslKernel } from './runner';

/*
 * Row-wise fused ops (LayerNorm forward and backward): one workgroup of 64 invocations per
 * row, reducing through workgroup memory in a fixed order (the same bits on every run).
 */

const LANES = 64;
const REDUCE = /* wgsl */ `
var<workgroup> partA: array<f32, ${LANES}>;
var<workgroup> partB: array<f32, ${LANES}>;
fn reduce2(t: u32, a: f32, b: f32) -> vec2<f32> {
  partA[t] = a;
  partB[t] = b;
  workgroupBarrier();
  for (var s = ${LANES / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) {
      partA[t] = partA[t] + partA[t + s];
      partB[t] = partB[t] + partB[t + s];
    }
    workgroupBarrier();
  }
  let r = vec2<f32>(partA[0], partB[0]);
  workgroupBarrier();
  return r;
}`;
const ROW = /* wgsl */ `
@compute @workgroup_size(${LANES})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = wg.x + wg.y * groups.x;
  if (row >= u.rows) { return; }
  let t = lid.x;
  let base = row * u.d;`;

const layerNorm: WgslKernel = {
  key: 'slipkit-layer-norm',
  code: /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> xHat: array<f32>;
@group(0) @binding(2) var<storage, read_write> invStd: array<f32>;
struct U { rows: u32, d: u32, eps: f32 }
@group(0) @binding(3) var<uniform> u: U;
${REDUCE}
${ROW}
  var sum = 0.0;
  for (var c = t; c < u.d; c += ${LANES}u) { sum += x[base + c]; }
  let mean = reduce2(t, sum, 0.0).x / f32(u.d);
  var sq = 0.0;
  for (var c = t; c < u.d; c += ${LANES}u) { let e = x[base + c] - mean; sq += e * e; }
  let inv = inverseSqrt(reduce2(t, sq, 0.0).x / f32(u.d) + u.eps);
  for (var c = t; c < u.d; c += ${LANES}u) { xHat[base + c] = (x[base + c] - mean) * inv; }
  if (t == 0u) { invStd[row] = inv; }
}`,
};

const layerNormGrad = (withResidual: boolean): WgslKernel => ({
  key: `slipkit-layer-norm-grad-${withResidual}`,
  code: /* wgsl */ `
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> xHat: array<f32>;
@group(0) @binding(2) var<storage, read> invStd: array<f32>;
${withResidual ? '@group(0) @binding(3) var<storage, read> residual: array<f32>;' : ''}
@group(0) @binding(${withResidual ? 4 : 3}) var<storage, read_write> dx: array<f32>;
struct U { rows: u32, d: u32 }
@group(0) @binding(${withResidual ? 5 : 4}) var<uniform> u: U;
${REDUCE}
${ROW}
  var sg = 0.0;
  var sgx = 0.0;
  for (var c = t; c < u.d; c += ${LANES}u) { let gi = g[base + c]; sg += gi; sgx += gi * xHat[base + c]; }
  let sums = reduce2(t, sg, sgx) / f32(u.d);
  let inv = invStd[row];
  for (var c = t; c < u.d; c += ${LANES}u) {
    let dxi = ((g[base + c] - sums.x) - xHat[base + c] * sums.y) * inv;
    dx[base + c] = ${withResidual ? 'residual[base + c] + dxi' : 'dxi'};
  }
}`,
});
const layerNormGradPlain = layerNormGrad(false);
const layerNormGradAdd = layerNormGrad(true);

/** a ⊙ g and its sums over rows: one invocation per column walks the rows in order. */
const mulColumnSums: WgslKernel = {
  key: 'slipkit-mul-column-sums',
  code: /* wgsl */ `
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> product: array<f32>;
@group(0) @binding(3) var<storage, read_write> sums: array<f32>;
struct U { rows: u32, d: u32 }
@group(0) @binding(4) var<uniform> u: U;
@compute @workgroup_size(${LANES})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= u.d) { return; }
  var s = 0.0;
  for (var r = 0u; r < u.rows; r++) {
    let p = a[r * u.d + c] * g[r * u.d + c];
    product[r * u.d + c] = p;
    s += p;
  }
  sums[c] = s;
}`,
};

const rowsAndWidth = (t: tf.TensorInfo): [number, number] => {
  const d = t.shape[t.shape.length - 1]!;
  return [t.shape.reduce((a, b) => a * b, 1) / d, d];
};

export function layerNormWgsl([x]: tf.TensorInfo[], attrs: FusedAttrs, backend: unknown): tf.TensorInfo[] {
  const [rows, d] = rowsAndWidth(x!);
  return runWgsl(backend, layerNorm, [x!], [x!.shape, [...x!.shape.slice(0, -1), 1]], [rows, d, { f: attrs.eps! }], workgroupsFor(rows, 1));
}

export function layerNormGradWgsl(inputs: tf.TensorInfo[], _attrs: FusedAttrs, backend: unknown): tf.TensorInfo[] {
  const [rows, d] = rowsAndWidth(inputs[0]!);
  return runWgsl(backend, inputs.length === 4 ? layerNormGradAdd : layerNormGradPlain, inputs, [inputs[0]!.shape], [rows, d], workgroupsFor(rows, 1));
}

export function mulColumnSumsWgsl([a, g]: tf.TensorInfo[], _attrs: FusedAttrs, backend: unknown): tf.TensorInfo[] {
  const [rows, d] = rowsAndWidth(a!);
  return runWgsl(backend, mulColumnSums, [a!, g!], [a!.shape, [d]], [rows, d], [Math.ceil(d / LANES)]);
}

/** A LayerNorm folded into the next linear layer: one invocation per output column walks the input rows. */
const foldNorm: WgslKernel = {
  key: 'slipkit-fold-norm',
  code: /* wgsl */ `
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read> s: array<f32>;
@group(0) @binding(5) var<storage, read_write> wOut: array<f32>;
@group(0) @binding(6) var<storage, read_write> bOut: array<f32>;
struct U { rows: u32, d: u32 }
@group(0) @binding(7) var<uniform> u: U;
@compute @workgroup_size(${LANES})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= u.d) { return; }
  let sc = s[c];
  var shifted = 0.0;
  for (var r = 0u; r < u.rows; r++) {
    let wi = w[r * u.d + c];
    shifted += beta[r] * wi;
    wOut[r * u.d + c] = (gamma[r] * wi) * sc;
  }
  bOut[c] = (shifted + b[c]) * sc;
}`,
};

export function foldNormWgsl([w, b, gamma, beta, s]: tf.TensorInfo[], _attrs: FusedAttrs, backend: unknown): tf.TensorInfo[] {
  const [rows, d] = rowsAndWidth(w!);
  return runWgsl(backend, foldNorm, [w!, b!, gamma!, beta!, s!], [w!.shape, [d]], [rows, d], [Math.ceil(d / LANES)]);
}

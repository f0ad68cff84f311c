import type * as tf from '@tensorflow/tfjs';
import type { FusedAttrs } from '../fused/registry';
import { runWgsl, workgroupsFor, type WgslKernel } from './runner';

/*
 * Element-wise fused ops: one invocation per element, 256 per workgroup, over a 2-D grid of
 * workgroups (so that large tensors stay within the 65535-per-dimension limit).
 */

const SIZE = 256;
const INDEX = /* wgsl */ `
@compute @workgroup_size(${SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * ${SIZE}u;
  if (i >= u.n) { return; }`;

const count = (t: tf.TensorInfo): number => t.shape.reduce((a, b) => a * b, 1);
const width = (t: tf.TensorInfo): number => t.shape[t.shape.length - 1]!;

/** A&S 7.1.26 erf (|error| < 1.5e-7), the formula tfjs's own erf kernels use. */
const ERF = /* wgsl */ `
fn erf_as(x: f32) -> f32 {
  let s = sign(x);
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
  return s * y;
}`;

const biasResidual: WgslKernel = {
  key: 'slipkit-bias-residual',
  code: /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
struct U { n: u32, d: u32 }
@group(0) @binding(4) var<uniform> u: U;
${INDEX}
  y[i] = x[i] + (h[i] + b[i % u.d]);
}`,
};

const geluBody = (withDerivative: boolean): WgslKernel => ({
  key: `slipkit-bias-gelu-${withDerivative}`,
  code: /* wgsl */ `
@group(0) @binding(0) var<storage, read> h: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> value: array<f32>;
${withDerivative ? '@group(0) @binding(3) var<storage, read_write> derivative: array<f32>;' : ''}
struct U { n: u32, d: u32 }
@group(0) @binding(${withDerivative ? 4 : 3}) var<uniform> u: U;
${ERF}
${INDEX}
  let z = h[i] + b[i % u.d];
  let onePlusErf = erf_as(z) + 1.0;
  value[i] = z * onePlusErf;
  ${withDerivative ? `derivative[i] = onePlusErf + z * exp(${Math.log(2 / Math.sqrt(Math.PI))} - z * z);` : ''}
}`,
});
const biasGelu = geluBody(false);
const biasGeluWithDerivative = geluBody(true);

const adamw: WgslKernel = {
  key: 'slipkit-adamw',
  code: /* wgsl */ `
@group(0) @binding(0) var<storage, read> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> m: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> pOut: array<f32>;
@group(0) @binding(5) var<storage, read_write> mOut: array<f32>;
@group(0) @binding(6) var<storage, read_write> vOut: array<f32>;
struct U { n: u32, beta1: f32, beta2: f32, eps: f32, decay: f32, stepSize: f32, bc2Sqrt: f32 }
@group(0) @binding(7) var<uniform> u: U;
${INDEX}
  let gi = g[i];
  let mi = m[i] * u.beta1 + gi * (1.0 - u.beta1);
  let vi = v[i] * u.beta2 + (gi * gi) * (1.0 - u.beta2);
  mOut[i] = mi;
  vOut[i] = vi;
  pOut[i] = p[i] * u.decay - (mi / (sqrt(vi) / u.bc2Sqrt + u.eps)) * u.stepSize;
}`,
};

export function biasResidualWgsl([x, h, b]: tf.TensorInfo[], _attrs: FusedAttrs, backend: unknown): tf.TensorInfo[] {
  return runWgsl(backend, biasResidual, [x!, h!, b!], [x!.shape], [count(x!), width(x!)], workgroupsFor(count(x!), SIZE));
}

export function biasGeluWgsl(withDerivative: boolean) {
  return ([h, b]: tf.TensorInfo[], _attrs: FusedAttrs, backend: unknown): tf.TensorInfo[] =>
    runWgsl(backend, withDerivative ? biasGeluWithDerivative : biasGelu, [h!, b!], withDerivative ? [h!.shape, h!.shape] : [h!.shape], [count(h!), width(h!)], workgroupsFor(count(h!), SIZE));
}

export function adamwWgsl([p, g, m, v]: tf.TensorInfo[], attrs: FusedAttrs, backend: unknown): tf.TensorInfo[] {
  const a = attrs as Record<string, number>;
  const uniforms = [count(p!), { f: a.beta1! }, { f: a.beta2! }, { f: a.eps! }, { f: a.decay! }, { f: a.lr! / a.bc1! }, { f: a.bc2Sqrt! }];
  return runWgsl(backend, adamw, [p!, g!, m!, v!], [p!.shape, p!.shape, p!.shape], uniforms, workgroupsFor(count(p!), SIZE));
}

import './fused';
import * as tf from '@tensorflow/tfjs';
import { registerFusedImplementation } from './fused/registry';
import { firstLine, loadModule } from './load-module';
import { asOpRunner, boolAttr, floatAttr, intAttr, type OpAttr } from './tensorflow-ops';

/**
 * slipkit's fused TensorFlow ops (C++ in core/backend/native/), for the native backend that
 * `npm run setup:native` builds. Each replaces a chain of TensorFlow ops, element-wise ones
 * each a pass over memory, by a single pass:
 *
 * | op | computes | replaces |
 * |---|---|---|
 * | SlipkitLayerNorm | x̂ = (x − mean)/σ, 1/σ per row | 5 ops |
 * | SlipkitLayerNormGrad | (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))/σ | 6 ops |
 * | SlipkitLayerNormGradAdd | the same plus a residual gradient | 7 ops |
 * | SlipkitBiasGelu | f(h + b), f(z) = z·(1 + erf z) | 4 ops |
 * | SlipkitBiasGeluWithDerivative | f(h + b) and f′(h + b) | 9 ops |
 * | SlipkitBiasResidual | x + h + b | 2 ops |
 * | SlipkitMulColumnSums | a ⊙ g and its sums over rows | 2 ops (the sums read the product back) |
 * | SlipkitColumnSums | the sums over rows (a bias gradient) | a product with a row of ones |
 * | SlipkitFoldNorm | a LayerNorm's γ, β and a column scale folded into the next linear layer | ~10 small ops |
 * | SlipkitUnfoldNormGrad | the original parameters' gradients from the folded ones | ~15 small ops |
 * | SlipkitAttention | softmax(scale·q·kᵀ + mask)·v per head, from packed qkv + b | ~12 ops (bias, split, transposes, softmax, merge) |
 * | SlipkitAttentionGrad | d(qkv) from d(context) | ~14 ops |
 * | SlipkitAdamW | one AdamW update: p′, m′, v′ | ~13 ops |
 *
 * Each is the `tensorflow` backend's kernel for the fused op of the same name
 * (core/backend/fused/: one kernel name per op, the reference formulation on backends
 * without their own kernel, one registered gradient each).
 */
export const FUSED_OP_OUTPUTS = {
  SlipkitLayerNorm: 2,
  SlipkitLayerNormGrad: 1,
  SlipkitLayerNormGradAdd: 1,
  SlipkitBiasGelu: 1,
  SlipkitBiasGeluWithDerivative: 2,
  SlipkitBiasResidual: 1,
  SlipkitMulColumnSums: 2,
  SlipkitColumnSums: 1,
  SlipkitFoldNorm: 2,
  SlipkitUnfoldNormGrad: 4,
  SlipkitAttention: 3,
  SlipkitAttentionGrad: 1,
  SlipkitAdamW: 3,
} as const;

export type FusedOpName = keyof typeof FUSED_OP_OUTPUTS;

/** What loading the addon exports. */
interface FusedOpsAddon {
  ops: string[];
  threads: number;
}

/** Whether the ops are loaded into this process, and if not, why. */
export type FusedOpsState = { loaded: true; ops: string[]; threads: number } | { loaded: false; reason: string };

let state: FusedOpsState = { loaded: false, reason: 'the native tensorflow backend is not loaded' };

/**
 * Loads the addon at `addonPath` into this process (it registers the ops with the
 * libtensorflow tfjs-node loaded) and registers each op as the `tensorflow` backend's kernel
 * of its fused op, so that tf.profile, tf.tidy and tf.memory see them like built-in kernels.
 * Called once the native backend is up; idempotent.
 */
export function loadFusedOps(addonPath: string): FusedOpsState {
  if (state.loaded) return state;
  const loaded = loadModule<FusedOpsAddon>(addonPath);
  if (!loaded.ok) {
    state = { loaded: false, reason: `${addonPath} ${loaded.missing ? 'is missing' : `fails to load: ${loaded.reason}`}` };
    return state;
  }
  const missing = (Object.keys(FUSED_OP_OUTPUTS) as FusedOpName[]).filter((name) => !loaded.module.ops.includes(name));
  if (missing.length > 0) {
    state = { loaded: false, reason: `${addonPath} lacks ${missing.join(', ')} (built from an older source: rerun \`npm run setup:native\`)` };
    return state;
  }
  try {
    for (const name of Object.keys(FUSED_OP_OUTPUTS) as FusedOpName[]) registerTfjsKernel(name);
  } catch (err) {
    state = { loaded: false, reason: `registering its kernels with tfjs failed: ${firstLine(err)}` };
    return state;
  }
  state = { loaded: true, ops: loaded.module.ops, threads: loaded.module.threads };
  return state;
}

/** Records why the ops are not loaded (for `slipkit doctor`), when the backend could not offer them. */
export function fusedOpsUnavailable(reason: string): void {
  if (!state.loaded) state = { loaded: false, reason };
}

export function fusedOpsState(): FusedOpsState {
  return state;
}

/** The native op as the `tensorflow` backend's kernel for the fused op of the same name. */
function registerTfjsKernel(name: FusedOpName): void {
  if (name === 'SlipkitAdamW') return registerAdamWKernel();
  const outputs = FUSED_OP_OUTPUTS[name];
  registerFusedImplementation('tensorflow', name, (ordered, attrs, backend) => {
      const runner = asOpRunner(backend)!;
      const { eps, heads, tokens, causal, scale } = attrs;
      const opAttrs: OpAttr[] = [];
      if (eps !== undefined) opAttrs.push(floatAttr(runner, 'eps', eps));
      if (heads !== undefined) opAttrs.push(intAttr(runner, 'heads', heads));
      if (tokens !== undefined) opAttrs.push(intAttr(runner, 'tokens', tokens));
      if (causal !== undefined) opAttrs.push(boolAttr(runner, 'causal', causal));
      if (scale !== undefined) opAttrs.push(floatAttr(runner, 'scale', scale));
      return outputs === 1 ? [runner.executeSingleOutput(name, opAttrs, ordered)] : runner.executeMultipleOutputs(name, opAttrs, ordered, outputs);
  });
}

/**
 * The native SlipkitAdamW takes its scalars as a fifth input, a float32 tensor
 * [β1, 1−β1, β2, 1−β2, bc2Sqrt, ε, decay, lr/bc1] (core/backend/native/adamw_ops.cc says why
 * not as attributes), made for the call and freed after it.
 */
function registerAdamWKernel(): void {
  registerFusedImplementation('tensorflow', 'SlipkitAdamW', (ordered, attrs, backend) => {
    const { beta1, beta2, bc2Sqrt, eps, decay, lr, bc1 } = attrs as Record<string, number>;
    const hyper = tf.tensor1d([beta1!, 1 - beta1!, beta2!, 1 - beta2!, bc2Sqrt!, eps!, decay!, lr! / bc1!], 'float32');
    try {
      return asOpRunner(backend)!.executeMultipleOutputs('SlipkitAdamW', [], [...ordered, hyper], FUSED_OP_OUTPUTS.SlipkitAdamW);
    } finally {
      hyper.dispose();
    }
  });
}

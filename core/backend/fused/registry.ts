import * as tf from '@tensorflow/tfjs';

/**
 * slipkit's fused ops as tfjs kernels: every op is ONE kernel name, with one kernel per
 * backend, the tfjs kernel-registry model. A backend that has its own implementation (the
 * native C++ ops for `tensorflow`, WGSL for `webgpu`) registers it with
 * registerFusedImplementation; every other backend gets the op's reference formulation
 * (plain tfjs ops), registered the first time the op runs there. Callers (core/nn, the
 * optimizer) call the op and never ask which backend is active.
 */

/** The attributes the ops take. */
export interface FusedAttrs {
  [name: string]: number | boolean | undefined;
  /** LayerNorm's epsilon. */
  eps?: number;
  /** Attention: heads, tokens per sequence, whether keys after the query are masked, the q·kᵀ scale. */
  heads?: number;
  tokens?: number;
  causal?: boolean;
  scale?: number;
}

/** One fused op: its kernel name, output count and reference formulation. */
export interface FusedKernelDef {
  readonly name: string;
  readonly outputs: number;
  /** The op in plain tfjs ops, on tensors: the kernel of every backend without its own, and what the others are tested against. */
  reference(inputs: tf.Tensor[], attrs: FusedAttrs): tf.Tensor[];
}

/** A backend's own kernel: inputs in the op's order, outputs in the op's order; undefined where it cannot take these shapes (the reference runs). */
export type FusedImplementation = (inputs: tf.TensorInfo[], attrs: FusedAttrs, backend: unknown) => tf.TensorInfo[] | undefined;

const definitions = new Map<string, FusedKernelDef>();
/** backend name → kernel names that backend implements itself. */
const implemented = new Map<string, Set<string>>();
let enabled = process.env.SLIPKIT_FUSED_OPS !== '0';

export function defineFusedKernel(def: FusedKernelDef): FusedKernelDef {
  definitions.set(def.name, def);
  return def;
}

export function fusedKernelNames(): string[] {
  return [...definitions.keys()];
}

function definition(name: string): FusedKernelDef {
  const def = definitions.get(name);
  if (!def) throw new Error(`no fused kernel named ${name}`);
  return def;
}

const ordered = <T>(inputs: Record<string, T>): T[] =>
  Object.keys(inputs)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => inputs[k]!);

/**
 * The reference as a kernel. It is called through runFused, whose inputs are tensors; its
 * intermediates are freed by the tidy, and its outputs (tensors) are taken by the engine as
 * they are. Ops run inside a kernel are not recorded on a gradient tape: the tape sees the
 * one kernel, and its registered gradient.
 */
function referenceKernel(def: FusedKernelDef): tf.KernelFunc {
  return ({ inputs, attrs }) => tf.tidy(() => def.reference(ordered(inputs as Record<string, tf.Tensor>), attrs as FusedAttrs));
}

/**
 * Registers `backendName`'s own kernel for the op `name` (replacing the reference if that
 * was registered first). With the fused ops turned off (setFusedOpsEnabled(false)), the
 * kernel runs the reference instead.
 */
export function registerFusedImplementation(backendName: string, name: string, implementation: FusedImplementation): void {
  const def = definition(name);
  if (tf.getKernel(name, backendName)) tf.unregisterKernel(name, backendName);
  const reference = referenceKernel(def);
  tf.registerKernel({
    kernelName: name,
    backendName,
    kernelFunc: (args) => (enabled && implementation(ordered(args.inputs as Record<string, tf.TensorInfo>), args.attrs as FusedAttrs, args.backend)) || reference(args),
  });
  let names = implemented.get(backendName);
  if (!names) implemented.set(backendName, (names = new Set()));
  names.add(name);
}

/** Whether the active backend runs `name` (by default: every op) with its own kernel rather than the reference. */
export function fusedOpsActive(name?: string): boolean {
  const names = implemented.get(tf.getBackend());
  return enabled && names !== undefined && (name === undefined ? names.size > 0 : names.has(name));
}

/**
 * Turns the backends' own kernels off (the reference runs everywhere) or back on; returns the
 * previous setting. SLIPKIT_FUSED_OPS=0 starts with them off. For comparisons: the tests hold
 * each backend's kernels to the reference, and benchmarks measure both.
 */
export function setFusedOpsEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** Runs the fused op `name` on float32 inputs on the active backend; returns its outputs. */
export const runFused = Object.assign(runFusedKernel, {
  /** The op's reference formulation, to call op by op (tests differentiate it with tfjs's autodiff). */
  reference: (name: string): FusedKernelDef['reference'] => definition(name).reference,
});

function runFusedKernel(name: string, inputs: tf.Tensor[], attrs: FusedAttrs = {}): tf.Tensor[] {
  const def = definition(name);
  const named: tf.NamedTensorMap = {};
  inputs.forEach((t, i) => {
    if (t.dtype !== 'float32') throw new Error(`${name}: input ${i} is ${t.dtype}; the fused ops take float32`);
    named[i] = t;
  });
  const backend = tf.getBackend();
  if (!tf.getKernel(name, backend)) tf.registerKernel({ kernelName: name, backendName: backend, kernelFunc: referenceKernel(def) });
  const out = tf.engine().runKernel(name, named, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

/**
 * The gradient of an op as the vector–Jacobian product of its reference, by tfjs's autodiff:
 * for the backward-pass ops (their own gradients are second derivatives, which nothing in
 * slipkit takes), so that every kernel name still has a registered gradient.
 */
export function referenceVjp(name: string, inputs: number): tf.GradConfig {
  const def = definition(name);
  return {
    kernelName: name,
    inputsToSave: Array.from({ length: inputs }, (_, i) => String(i)),
    gradFunc: (dy, saved, attrs) => {
      // An output outside the differentiated graph comes with a null gradient: it adds nothing.
      const dys = (Array.isArray(dy) ? dy : [dy]) as Array<tf.Tensor | null>;
      // tfjs's engine keeps one active tape: a tf.grads run inside a backward pass replaces the
      // outer pass's tape and clears it when done, so the outer tape is put back afterwards.
      const state = (tf.engine() as unknown as { state: { activeTape: unknown } }).state;
      const outerTape = state.activeTape;
      let grads: tf.Tensor[];
      try {
        grads = tf.grads((...xs: tf.Tensor[]) => {
          const outs = def.reference(xs, attrs as FusedAttrs);
          return tf.addN(outs.flatMap((o, i) => (dys[i] ? [tf.sum(tf.mul(o, dys[i]!))] : []))) as tf.Scalar;
        })(saved);
      } finally {
        state.activeTape = outerTape;
      }
      return Object.fromEntries(grads.map((g, i) => [String(i), () => g]));
    },
  };
}

import * as tf from '@tensorflow/tfjs';
import { firstLine, loadModule } from './load-module';
import { asOpRunner, boolAttr } from './tensorflow-ops';

/**
 * The GEMM the native backend's matrix products run on. `npm run setup:native` measures
 * TensorFlow's own MatMul against BLAS libraries from PyPI (OpenBLAS, MKL) at the SLIP step's
 * shapes (scripts/gemm-probe.js) and records the fastest. When a library won, this module
 * loads slipkit's GEMM addon (core/backend/native/gemm/) with it: core/backend/matmul-2d.ts runs the
 * layers' 2-D products as SlipkitGemm, and tfjs's BatchMatMul kernel (every tf.matMul: the
 * losses, attention without the fused ops) runs rank-2 and rank-3 products as SlipkitGemm /
 * SlipkitBatchGemm (see routeBatchMatMul); otherwise the products stay on
 * TensorFlow's MatMul. Each product is split over the addon's threads in parts fixed by its
 * shape and the thread count, so results are the same bit for bit from run to run.
 */

/** What the GEMM addon's load() returns. */
interface GemmAddon {
  load(libraryPath: string): { ops: string[]; threads: number; library: string; flavour: string };
}

/** Which GEMM this process uses, and why. */
export type GemmState =
  | { loaded: true; candidate: string; flavour: string; library: string; threads: number }
  | { loaded: false; candidate: 'tensorflow'; reason: string };

let state: GemmState = { loaded: false, candidate: 'tensorflow', reason: 'the native tensorflow backend is not loaded' };
let enabled = process.env.SLIPKIT_GEMM !== 'tensorflow';

/**
 * Loads the GEMM addon at `addonPath` with the BLAS library at `libraryPath` (setup's
 * `candidate`, e.g. "openblas") into this process. Once loaded, a process keeps that library.
 */
export function loadGemm(addonPath: string, libraryPath: string, candidate: string): GemmState {
  if (state.loaded) return state;
  const addon = loadModule<GemmAddon>(addonPath);
  if (!addon.ok) {
    state = { loaded: false, candidate: 'tensorflow', reason: `${addonPath} ${addon.missing ? 'is missing' : `fails to load: ${addon.reason}`}` };
    return state;
  }
  try {
    const loaded = addon.module.load(libraryPath);
    routeBatchMatMul();
    state = { loaded: true, candidate, flavour: loaded.flavour, library: loaded.library, threads: loaded.threads };
  } catch (err) {
    state = { loaded: false, candidate: 'tensorflow', reason: `${candidate} (${libraryPath}) fails to load: ${firstLine(err)}` };
  }
  return state;
}

/** Records why the products stay on TensorFlow's MatMul (for `slipkit doctor`). */
export function gemmUnavailable(reason: string): void {
  if (!state.loaded) state = { loaded: false, candidate: 'tensorflow', reason };
}

export function gemmState(): GemmState {
  return state;
}

/** One line for `slipkit doctor`: the GEMM in use and why. */
export function describeGemm(): string {
  return state.loaded
    ? `${state.candidate}: ${state.flavour} (${state.library}) via SlipkitGemm on ${state.threads} threads`
    : `tensorflow: TensorFlow's MatMul (${state.reason})`;
}

/**
 * Turns the library GEMM off (or back on) for this process; returns the previous setting.
 * SLIPKIT_GEMM=tensorflow starts with it off. For comparisons: tests hold it to TensorFlow's
 * MatMul, benchmarks measure both.
 */
export function setGemmEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** True when products should run as SlipkitGemm: loaded, enabled, and the active backend is `tensorflow`. */
export function gemmActive(): boolean {
  return enabled && state.loaded && tf.getBackend() === 'tensorflow';
}

let routed = false;

/**
 * Replaces tfjs-node's BatchMatMul kernel by one that runs float32 rank-2 products, and
 * rank-3 products with equal batch sizes, as SlipkitGemm / SlipkitBatchGemm while the GEMM is
 * active, and hands everything else (other dtypes, broadcast batches, higher ranks, GEMM off)
 * to the original kernel. BatchMatMul's gradient is tf.matMul again, so both backward
 * products take the same route.
 */
function routeBatchMatMul(): void {
  const original = tf.getKernel('BatchMatMul', 'tensorflow');
  if (routed || !original) return;
  tf.unregisterKernel('BatchMatMul', 'tensorflow');
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      const rank = a.shape.length;
      const batched = rank === 3 && b.shape.length === 3 && a.shape[0] === b.shape[0];
      const runner = asOpRunner(args.backend);
      if (runner && gemmActive() && a.dtype === 'float32' && b.dtype === 'float32' && ((rank === 2 && b.shape.length === 2) || batched)) {
        const [op, names] = rank === 2 ? ['SlipkitGemm', ['transpose_a', 'transpose_b']] : ['SlipkitBatchGemm', ['adj_x', 'adj_y']];
        return runner.executeSingleOutput(op, [boolAttr(runner, names[0], transposeA), boolAttr(runner, names[1], transposeB)], [a, b]);
      }
      return original.kernelFunc(args);
    },
  });
  routed = true;
}

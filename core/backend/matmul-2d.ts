import * as tf from '@tensorflow/tfjs';
import { gemmActive } from './gemm';
import { activeOpRunner, asOpRunner, boolAttr, floatTypeAttr, type OpAttr, type TensorflowOpRunner } from './tensorflow-ops';

/**
 * A 2-D matrix product as one kernel on the native backend.
 *
 * Why: tf.matMul always goes through BatchMatMul, reshaping both operands to rank 3 and
 * the product back, so a 2-D product costs four op dispatches through tfjs-node (each
 * ~35 µs in libtensorflow plus tfjs's own bookkeeping); a transformer step does ~450 of
 * them. On the `tensorflow` backend this runs one TensorFlow op on the 2-D operands (MatMul
 * or BatchMatMulV2, whichever is faster for the transposes; see nativeOpFor), as a
 * kernel registered with the tfjs engine (so tf.profile, tf.tidy and the gradient tape see
 * it like any other); elsewhere it is tf.matMul.
 */
export const NATIVE_MATMUL_KERNEL = 'SlipkitMatMul2D';

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * Which TensorFlow op runs a product. TensorFlow's 2-D MatMul and its BatchMatMulV2 (which
 * takes rank-2 operands too) reach different GEMM paths; measured on 2 EPYC cores (ms,
 * MatMul against BatchMatMulV2, same operands): a·b and aᵀ·b favour MatMul (ViT fc1 forward
 * 18.5 / 20.6, fc2 weight gradient 17.9 / 20.7, qkv weight gradient 13.4 / 16.1), a·bᵀ
 * favours BatchMatMulV2 (SSL head input gradient [64, 4096]·[4096, 4096]ᵀ 34.8 / 12.4, text
 * fc1 input gradient 7.9 / 5.7, ViT fc1 input gradient 19.4 / 18.1).
 */
function nativeOpFor(runner: TensorflowOpRunner, transposeA: boolean, transposeB: boolean): { op: string; attrs: OpAttr[] } {
  if (gemmActive()) return { op: 'SlipkitGemm', attrs: [boolAttr(runner, 'transpose_a', transposeA), boolAttr(runner, 'transpose_b', transposeB)] };
  const [op, names] = transposeB ? ['BatchMatMulV2', ['adj_x', 'adj_y']] : ['MatMul', ['transpose_a', 'transpose_b']];
  return { op, attrs: [boolAttr(runner, names[0], transposeA), boolAttr(runner, names[1], transposeB), floatTypeAttr(runner)] };
}

let registered = false;

function registerNativeMatMul(): void {
  tf.registerKernel({
    kernelName: NATIVE_MATMUL_KERNEL,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const runner = asOpRunner(backend)!;
      const { transposeA, transposeB } = attrs as unknown as MatMulAttrs;
      const { op, attrs: opAttrs } = nativeOpFor(runner, transposeA, transposeB);
      return runner.executeSingleOutput(op, opAttrs, [inputs.a!, inputs.b!]);
    },
  });
  // dA and dB by the usual rules, for a product recorded on a tape (slipkit's layers call it
  // inside their own custom gradients, where it is not).
  tf.registerGradient({
    kernelName: NATIVE_MATMUL_KERNEL,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as tf.Tensor2D[];
      const { transposeA, transposeB } = attrs as unknown as MatMulAttrs;
      const g = dy as tf.Tensor2D;
      return {
        a: () => (transposeA ? matMul2d(b, g, transposeB, true) : matMul2d(g, b, false, !transposeB)),
        b: () => (transposeB ? matMul2d(g, a, true, transposeA) : matMul2d(a, g, !transposeA, false)),
      };
    },
  });
  registered = true;
}

/** True when the native kernel can run here (registering it on first use). */
function nativeMatMulAvailable(): boolean {
  if (!activeOpRunner()) return false;
  if (!registered) registerNativeMatMul();
  return true;
}

const nativeMatMul = (a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D =>
  tf.engine().runKernel(NATIVE_MATMUL_KERNEL, { a, b }, { transposeA, transposeB } satisfies MatMulAttrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;

/** a·b for 2-D float32 a and b, either transposed first. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D {
  if (a.dtype === 'float32' && b.dtype === 'float32' && nativeMatMulAvailable()) {
    return nativeMatMul(a, b, transposeA, transposeB);
  }
  return tf.matMul(a, b, transposeA, transposeB);
}

/** x·W + b for 2-D x [N, in], W [in, out] and b [out]: two kernels on the native backend, tf.fused.matMul elsewhere. */
export function linear2d(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  if (x.dtype === 'float32' && nativeMatMulAvailable()) {
    const product = matMul2d(x, weight);
    if (!bias) return product;
    const out = tf.add(product, bias) as tf.Tensor2D;
    product.dispose();
    return out;
  }
  return tf.fused.matMul({ a: x, b: weight, bias }) as tf.Tensor2D;
}

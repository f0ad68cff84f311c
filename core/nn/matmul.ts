import * as tf from '@tensorflow/tfjs';
import { activeOpRunner, asOpRunner, boolAttr, floatTypeAttr } from '../backend/tensorflow-ops';

/**
 * A 2-D matrix product as one kernel on the native backend.
 *
 * Why: tf.matMul always goes through BatchMatMul, reshaping both operands to rank 3 and
 * the product back, so a 2-D product costs four op dispatches through tfjs-node (each
 * ~35 µs in libtensorflow plus tfjs's own bookkeeping); a transformer step does ~450 of
 * them. On the `tensorflow` backend this runs TensorFlow's 2-D MatMul directly, as a
 * kernel registered with the tfjs engine (so tf.profile, tf.tidy and the gradient tape see
 * it like any other); elsewhere it is tf.matMul.
 */
export const NATIVE_MATMUL_KERNEL = 'SlipkitMatMul2D';

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

let registered = false;

function registerNativeMatMul(): void {
  tf.registerKernel({
    kernelName: NATIVE_MATMUL_KERNEL,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const runner = asOpRunner(backend)!;
      const { transposeA, transposeB } = attrs as unknown as MatMulAttrs;
      return runner.executeSingleOutput(
        'MatMul',
        [boolAttr(runner, 'transpose_a', transposeA), boolAttr(runner, 'transpose_b', transposeB), floatTypeAttr(runner)],
        [inputs.a!, inputs.b!],
      );
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

/**
 * a·bᵀ with a short a (a batch of 64–256 rows, say) against a large b: TensorFlow's
 * transposed-B GEMM runs these at about 40 % of its plain rate, so (b·aᵀ)ᵀ, with two
 * transposes of the small operands, is faster. Measured on 2 EPYC cores: a [64, 4096] by a
 * [4096, 4096] weight 35–39 ms as a·bᵀ, 13–16 ms as (b·aᵀ)ᵀ; no difference for tall a
 * (a transformer's [12480, 768] by [192, 768]: 21.0 against 19.5 ms, within noise).
 */
const SHORT_ROWS = 256;
const LARGE_OPERAND = 1 << 20;

/** a·b for 2-D float32 a and b, either transposed first. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D {
  if (a.dtype === 'float32' && b.dtype === 'float32' && nativeMatMulAvailable()) {
    if (transposeB && !transposeA && a.shape[0] <= SHORT_ROWS && b.size >= LARGE_OPERAND) {
      return tf.tidy(() => tf.transpose(nativeMatMul(b, tf.transpose(a), false, false)));
    }
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

/**
 * Σ over the rows of a 2-D x [N, D] → [D] (a bias gradient). On the native backend as a
 * product with a row of ones: TensorFlow's Sum along axis 0 takes about twice as long
 * (measured on [12480, 768]: 5.8–7.1 ms against 2.3–3.4 ms).
 */
export function columnSums(x: tf.Tensor2D): tf.Tensor1D {
  if (x.dtype !== 'float32' || !nativeMatMulAvailable()) return tf.sum(x, 0);
  return tf.tidy(() => tf.reshape(matMul2d(tf.ones([1, x.shape[0]]) as tf.Tensor2D, x), [x.shape[1]]) as tf.Tensor1D);
}

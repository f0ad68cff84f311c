/**
 * The 2-D products the layers use. Which kernel runs them (TensorFlow's MatMul, the GEMM that
 * setup chose, or tf.matMul on every other backend) is core/backend's business, not the
 * layers': see core/backend/matmul-2d.ts.
 */
export { linear2d, matMul2d, NATIVE_MATMUL_KERNEL } from '../backend/matmul-2d';
export { columnSums } from '../backend/fused';

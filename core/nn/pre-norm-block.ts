import * as tf from '@tensorflow/tfjs';
import { attentionBackward, attentionForward, type AttentionShape } from './attention';
import { isRecordingGradients, withCustomGrad } from './custom-grad';
import type { DenseLayer } from './dense';
import { biasScaledGeluForward } from './gelu';
import { columnSums, matMul2d } from './matmul';
import { multiplyWithColumnSums } from './multiply-column-sums';
import { normalise, normaliseBackward, type LayerNorm } from './layer-norm';
import { foldNormIntoLinear, unfoldGradients } from './norm-folding';
import { addBiasResidual } from './residual';

/** The parameters of one pre-LN transformer block. */
export interface PreNormBlockParams {
  norm1: LayerNorm;
  qkv: DenseLayer;
  proj: DenseLayer;
  norm2: LayerNorm;
  fc1: DenseLayer;
  fc2: DenseLayer;
}

/** fc1's outputs and fc2's weights are scaled by 1/√2 so the GELU needs fewer kernels (see scaledGeluForward). */
const GELU_SCALE = Math.SQRT1_2;

const queryScaleCache = new Map<string, Float32Array>();

/** [3·W]: 1/√d over the query columns of a packed q|k|v projection, 1 over k and v. */
function queryColumnScale(width: number, heads: number): tf.Tensor1D {
  const key = `${width}/${heads}`;
  let values = queryScaleCache.get(key);
  if (!values) {
    values = new Float32Array(3 * width).fill(1);
    values.fill(1 / Math.sqrt(width / heads), 0, width);
    queryScaleCache.set(key, values);
  }
  return tf.tensor1d(values);
}

/**
 * One pre-LN transformer block, x [B·T, W] → [B·T, W]:
 *   a = x + proj(attention(qkv(norm1(x)))),   out = a + fc2(gelu(fc1(norm2(a))))
 * as a single node on the gradient tape with a hand-written backward pass.
 *
 * Why one node: tfjs keeps every tape node's saved tensors, and the gradient of every
 * intermediate, until the whole backward pass ends, so a chain of small ops peaks at
 * about twice its activations. This node keeps only x̂ and 1/σ of both norms, the
 * attention heads (split, or packed with the fused ops), the attention probabilities and
 * output, and the MLP's pre-activation (about 10·W floats per token plus the attention
 * maps; PyTorch keeps about 16·W), plus the weight-sized folded weights, and
 * frees them as its backward pass consumes them. An evaluation pass (no tape recording)
 * saves nothing.
 *
 * Fewer element-wise passes over activations, each traded for weight-sized work:
 * - both norms' γ and β, and attention's 1/√d, are folded into the weights of the linear
 *   layer that follows them (see foldNormIntoLinear);
 * - the GELU runs on h/√2, with 1/√2 folded into fc1's and fc2's weights; the backward
 *   pass recomputes it with its derivative in one fused pass from the saved pre-activation
 *   (see scaledGeluForward), rather than keeping both from the forward pass;
 * - the linear layers' biases are added by the op that reads their product (attention,
 *   the GELU, the residual adds), and the residual gradients by the norms' backward passes.
 * On the native backend those ops are the fused kernels of core/backend/fused-ops.ts (one
 * pass each, attention without split or transpose passes); elsewhere they are tfjs ops.
 */
export function preNormBlock(x: tf.Tensor2D, p: PreNormBlockParams, shape: AttentionShape): tf.Tensor2D {
  const inputs = [
    x,
    p.norm1.weight, p.norm1.bias, p.qkv.weight, p.qkv.bias, p.proj.weight, p.proj.bias,
    p.norm2.weight, p.norm2.bias, p.fc1.weight, p.fc1.bias, p.fc2.weight, p.fc2.bias,
  ];
  return withCustomGrad<tf.Tensor2D>(inputs, (save) => {
    const recording = isRecordingGradients();
    const n1 = normalise(x, p.norm1.eps);
    const qkvFolded = foldNormIntoLinear(p.norm1, p.qkv, queryColumnScale(x.shape[1], shape.heads));
    const attention = attentionForward(matMul2d(n1.xHat, qkvFolded.weight), qkvFolded.bias, shape, 1);
    const context = attention.output;
    const attended = addBiasResidual(x, matMul2d(context, p.proj.weight), p.proj.bias);
    const n2 = normalise(attended, p.norm2.eps);
    // z = h/√2 for the MLP's pre-activation h; activated = z·(1 + erf z) = √2·GELU(h).
    const fc1Folded = foldNormIntoLinear(p.norm2, p.fc1, GELU_SCALE);
    // The pre-activation is kept, not the GELU's value and derivative: the backward pass
    // recomputes both in one fused pass, and the block saves one [B·T, 4W] tensor less.
    const preActivation = matMul2d(n2.xHat, fc1Folded.weight);
    const { value: activated } = biasScaledGeluForward(preActivation, fc1Folded.bias, false);
    const fc2Weight = tf.mul(p.fc2.weight, GELU_SCALE) as tf.Tensor2D;
    // The folded weights are weight-sized: keeping them spares the backward pass refolding.
    if (recording) {
      save([n1.xHat, n1.invStd, context, n2.xHat, n2.invStd, preActivation, fc1Folded.bias, qkvFolded.weight, fc1Folded.weight, fc2Weight, ...attention.saved]);
    }
    return {
      value: addBiasResidual(attended, matMul2d(activated, fc2Weight), p.fc2.bias),
      gradients: (dy, saved) => preNormBlockBackward(dy, saved, p, shape),
    };
  });
}

/**
 * The backward pass of preNormBlock. Gradients in input order. Each saved tensor and each
 * activation-sized intermediate is freed as soon as its last use is done, not at the end of its
 * half: the step's memory peaks inside the last block's MLP half (tf.profile's byte snapshots),
 * where the recomputed GELU, its derivative and the products of dy are each [B·T, 4W].
 */
function preNormBlockBackward(dy: tf.Tensor2D, saved: tf.Tensor[], p: PreNormBlockParams, shape: AttentionShape): tf.Tensor[] {
  const [xHat1, invStd1, context, xHat2, invStd2, preActivation, fc1Bias, qkvWeight, fc1Weight, fc2Weight] = saved;
  const attentionSaved = saved.slice(10);

  // MLP half: out = a + f(z)·(W₂/√2) + b₂ with z = x̂₂·W₁′ + b₁′ and f(z) = z·(1 + erf z) = √2·GELU(h)
  const [dAttended, dGamma2, dBeta2, dW1, dB1, dW2, dB2] = tf.tidy(() => {
    // The same kernel on the same input as the forward pass: the same values, bit for bit.
    const { value: activated, derivative: geluPrime } = biasScaledGeluForward(preActivation as tf.Tensor2D, fc1Bias as tf.Tensor1D, true);
    tf.dispose([preActivation, fc1Bias]);
    const dW2 = tf.mul(matMul2d(activated as tf.Tensor2D, dy, true, false), GELU_SCALE);
    activated.dispose();
    const dActivated = matMul2d(dy, fc2Weight as tf.Tensor2D, false, true);
    const { product: dZ, sums: dZColumnSums } = multiplyWithColumnSums(dActivated, geluPrime as tf.Tensor2D);
    tf.dispose([dActivated, geluPrime!, fc2Weight]);
    const d = unfoldGradients(matMul2d(xHat2 as tf.Tensor2D, dZ, true, false), dZColumnSums, p.norm2, p.fc1, GELU_SCALE);
    const dXHat2 = matMul2d(dZ, fc1Weight as tf.Tensor2D, false, true);
    tf.dispose([dZ, fc1Weight]);
    const dAttended = normaliseBackward(dXHat2, xHat2, invStd2, dy);
    return [dAttended, d.gamma, d.beta, d.weight, d.bias, dW2, columnSums(dy)];
  });
  tf.dispose([xHat2, invStd2]);

  // Attention half: a = x + proj(attention(x̂₁·W_qkv′ + b_qkv′))
  const [dx, dGamma1, dBeta1, dWqkv, dBqkv, dWproj, dBproj] = tf.tidy(() => {
    const dA = dAttended as tf.Tensor2D;
    const dWproj = matMul2d(context as tf.Tensor2D, dA, true, false);
    context.dispose();
    const dContext = matMul2d(dA, p.proj.weight, false, true);
    const dQkv = attentionBackward(dContext, attentionSaved, shape, 1);
    tf.dispose([dContext, ...attentionSaved]);
    const scale = queryColumnScale(dA.shape[1], shape.heads);
    const d = unfoldGradients(matMul2d(xHat1 as tf.Tensor2D, dQkv, true, false), columnSums(dQkv), p.norm1, p.qkv, scale);
    const dXHat1 = matMul2d(dQkv, qkvWeight as tf.Tensor2D, false, true);
    tf.dispose([dQkv, qkvWeight]);
    const dx = normaliseBackward(dXHat1, xHat1, invStd1, dA);
    return [dx, d.gamma, d.beta, d.weight, d.bias, dWproj, columnSums(dA)];
  });
  tf.dispose([dAttended, xHat1, invStd1]);

  return [dx, dGamma1, dBeta1, dWqkv, dBqkv, dWproj, dBproj, dGamma2, dBeta2, dW1, dB1, dW2, dB2];
}

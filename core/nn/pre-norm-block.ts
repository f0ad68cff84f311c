import * as tf from '@tensorflow/tfjs';
import { attentionBackward, attentionForward, type AttentionShape } from './attention';
import { isRecordingGradients, withCustomGrad } from './custom-grad';
import type { DenseLayer } from './dense';
import { geluForward } from './gelu';
import { columnSums, linear2d, matMul2d } from './matmul';
import { normalise, normaliseBackward, type LayerNorm } from './layer-norm';
import { foldNormIntoLinear, unfoldGradients } from './norm-folding';

/** The parameters of one pre-LN transformer block. */
export interface PreNormBlockParams {
  norm1: LayerNorm;
  qkv: DenseLayer;
  proj: DenseLayer;
  norm2: LayerNorm;
  fc1: DenseLayer;
  fc2: DenseLayer;
}

const linear = (x: tf.Tensor2D, layer: { weight: tf.Tensor2D; bias: tf.Tensor1D }): tf.Tensor2D => linear2d(x, layer.weight, layer.bias);

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
 * about twice its activations. This node keeps only x̂ and 1/σ of both norms, the split
 * attention heads, the attention probabilities and output, and the GELU's output and
 * derivative (about 14·W floats per token plus the attention maps; PyTorch keeps about
 * 16·W), and frees them as its backward pass consumes them. An evaluation pass (no tape
 * recording) saves nothing.
 *
 * Fewer element-wise passes over activations, each traded for weight-sized work:
 * - both norms' γ and β, and attention's 1/√d, are folded into the weights of the linear
 *   layer that follows them (see foldNormIntoLinear);
 * - the GELU derivative is computed in the forward pass from terms it shares with the
 *   GELU (see geluForward).
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
    const qkv = linear(n1.xHat, foldNormIntoLinear(p.norm1, p.qkv, queryColumnScale(x.shape[1], shape.heads)));
    const { output: context, probs, heads } = attentionForward(qkv, shape, true);
    const attended = tf.add(x, linear(context, p.proj)) as tf.Tensor2D;
    const n2 = normalise(attended, p.norm2.eps);
    const { value: activated, derivative: geluPrime } = geluForward(linear(n2.xHat, foldNormIntoLinear(p.norm2, p.fc1)), recording);
    if (recording) save([n1.xHat, n1.invStd, heads.q, heads.k, heads.v, probs, context, n2.xHat, n2.invStd, activated, geluPrime as tf.Tensor2D]);
    return {
      value: tf.add(attended, linear(activated, p.fc2)) as tf.Tensor2D,
      gradients: (dy, saved) => preNormBlockBackward(dy, saved, p, shape),
    };
  });
}

/** The backward pass of preNormBlock, freeing each saved tensor once it is used. Gradients in input order. */
function preNormBlockBackward(dy: tf.Tensor2D, saved: tf.Tensor[], p: PreNormBlockParams, shape: AttentionShape): tf.Tensor[] {
  const [xHat1, invStd1, q, k, v, probs, context, xHat2, invStd2, activated, geluPrime] = saved;

  // MLP half: out = a + fc2(gelu(x̂₂·W₁′ + b₁′))
  const [dAttended, dGamma2, dBeta2, dW1, dB1, dW2, dB2] = tf.tidy(() => {
    const dW2 = matMul2d(activated as tf.Tensor2D, dy, true, false);
    const dHidden = tf.mul(matMul2d(dy, p.fc2.weight, false, true), geluPrime) as tf.Tensor2D;
    const fc1 = foldNormIntoLinear(p.norm2, p.fc1);
    const d = unfoldGradients(matMul2d(xHat2 as tf.Tensor2D, dHidden, true, false), columnSums(dHidden), p.norm2, p.fc1);
    const dNorm2In = normaliseBackward(matMul2d(dHidden, fc1.weight, false, true), xHat2, invStd2);
    return [tf.add(dy, dNorm2In), d.gamma, d.beta, d.weight, d.bias, dW2, columnSums(dy)];
  });
  tf.dispose([activated, geluPrime, xHat2, invStd2]);

  // Attention half: a = x + proj(attention(x̂₁·W_qkv′ + b_qkv′))
  const [dx, dGamma1, dBeta1, dWqkv, dBqkv, dWproj, dBproj] = tf.tidy(() => {
    const dA = dAttended as tf.Tensor2D;
    const dWproj = matMul2d(context as tf.Tensor2D, dA, true, false);
    const heads = { q: q as tf.Tensor3D, k: k as tf.Tensor3D, v: v as tf.Tensor3D };
    const dQkv = attentionBackward(matMul2d(dA, p.proj.weight, false, true), heads, probs as tf.Tensor3D, shape, true);
    const scale = queryColumnScale(dA.shape[1], shape.heads);
    const qkv = foldNormIntoLinear(p.norm1, p.qkv, scale);
    const d = unfoldGradients(matMul2d(xHat1 as tf.Tensor2D, dQkv, true, false), columnSums(dQkv), p.norm1, p.qkv, scale);
    const dNorm1In = normaliseBackward(matMul2d(dQkv, qkv.weight, false, true), xHat1, invStd1);
    return [tf.add(dA, dNorm1In), d.gamma, d.beta, d.weight, d.bias, dWproj, columnSums(dA)];
  });
  tf.dispose([dAttended, context, q, k, v, probs, xHat1, invStd1]);

  return [dx, dGamma1, dBeta1, dWqkv, dBqkv, dWproj, dBproj, dGamma2, dBeta2, dW1, dB1, dW2, dB2];
}

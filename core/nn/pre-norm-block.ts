import * as tf from '@tensorflow/tfjs';
import { attentionBackward, attentionForward, type AttentionShape } from './attention';
import { isRecordingGradients, withCustomGrad } from './custom-grad';
import type { DenseLayer } from './dense';
import { geluForward } from './gelu';
import { layerNormBackward, normalise, type LayerNorm } from './layer-norm';

/** The parameters of one pre-LN transformer block. */
export interface PreNormBlockParams {
  norm1: LayerNorm;
  qkv: DenseLayer;
  proj: DenseLayer;
  norm2: LayerNorm;
  fc1: DenseLayer;
  fc2: DenseLayer;
}

const linear = (x: tf.Tensor2D, layer: DenseLayer): tf.Tensor2D => tf.fused.matMul({ a: x, b: layer.weight, bias: layer.bias }) as tf.Tensor2D;
const affine = (xHat: tf.Tensor, norm: LayerNorm): tf.Tensor2D => tf.add(tf.mul(xHat, norm.weight), norm.bias) as tf.Tensor2D;

/**
 * One pre-LN transformer block, x [B·T, W] → [B·T, W]:
 *   a = x + proj(attention(qkv(norm1(x)))),   out = a + fc2(gelu(fc1(norm2(a))))
 * as a single node on the gradient tape with a hand-written backward pass.
 *
 * Why one node: tfjs keeps every tape node's saved tensors, and the gradient of every
 * intermediate, until the whole backward pass ends, so a chain of small ops peaks at
 * about twice its activations. This node keeps only x̂ and 1/σ of both norms, qkv, the
 * attention probabilities, the attention output, and the GELU's output and derivative
 * (about 14·W floats per token plus the attention maps; PyTorch keeps about 16·W), frees
 * them as its backward pass consumes them, and recomputes what is cheap (the norms'
 * outputs). The GELU derivative is computed in the forward pass from terms it shares with
 * the GELU, which costs less than recomputing both from the pre-activation afterwards
 * (see geluForward). An evaluation pass (no tape recording) saves nothing.
 */
export function preNormBlock(x: tf.Tensor2D, p: PreNormBlockParams, shape: AttentionShape): tf.Tensor2D {
  const inputs = [
    x,
    p.norm1.weight, p.norm1.bias, p.qkv.weight, p.qkv.bias, p.proj.weight, p.proj.bias,
    p.norm2.weight, p.norm2.bias, p.fc1.weight, p.fc1.bias, p.fc2.weight, p.fc2.bias,
  ];
  return withCustomGrad<tf.Tensor2D>(inputs, (save) => {
    const n1 = normalise(x, p.norm1.eps);
    const qkv = linear(affine(n1.xHat, p.norm1), p.qkv);
    const { output: context, probs } = attentionForward(qkv, shape);
    const attended = tf.add(x, linear(context, p.proj)) as tf.Tensor2D;
    const n2 = normalise(attended, p.norm2.eps);
    const recording = isRecordingGradients();
    const { value: activated, derivative: geluPrime } = geluForward(linear(affine(n2.xHat, p.norm2), p.fc1), recording);
    if (recording) save([n1.xHat, n1.invStd, qkv, probs, context, n2.xHat, n2.invStd, activated, geluPrime as tf.Tensor2D]);
    return {
      value: tf.add(attended, linear(activated, p.fc2)) as tf.Tensor2D,
      gradients: (dy, saved) => preNormBlockBackward(dy, saved, p, shape),
    };
  });
}

/** The backward pass of preNormBlock, freeing each saved tensor once it is used. Gradients in input order. */
function preNormBlockBackward(dy: tf.Tensor2D, saved: tf.Tensor[], p: PreNormBlockParams, shape: AttentionShape): tf.Tensor[] {
  const [xHat1, invStd1, qkv, probs, context, xHat2, invStd2, activated, geluPrime] = saved;

  // MLP half: out = a + fc2(gelu(fc1(norm2(a))))
  const [dAttended, dGamma2, dBeta2, dW1, dB1, dW2, dB2] = tf.tidy(() => {
    const dW2 = tf.matMul(activated as tf.Tensor2D, dy, true, false);
    const dHidden = tf.mul(tf.matMul(dy, p.fc2.weight, false, true), geluPrime) as tf.Tensor2D;
    const dW1 = tf.matMul(affine(xHat2, p.norm2), dHidden, true, false);
    const [dNorm2In, dGamma2, dBeta2] = layerNormBackward(tf.matMul(dHidden, p.fc1.weight, false, true), xHat2, invStd2, p.norm2.weight);
    return [tf.add(dy, dNorm2In), dGamma2, dBeta2, dW1, tf.sum(dHidden, 0), dW2, tf.sum(dy, 0)];
  });
  tf.dispose([activated, geluPrime, xHat2, invStd2]);

  // Attention half: a = x + proj(attention(qkv(norm1(x))))
  const [dx, dGamma1, dBeta1, dWqkv, dBqkv, dWproj, dBproj] = tf.tidy(() => {
    const dA = dAttended as tf.Tensor2D;
    const dWproj = tf.matMul(context as tf.Tensor2D, dA, true, false);
    const dQkv = attentionBackward(tf.matMul(dA, p.proj.weight, false, true), qkv as tf.Tensor2D, probs as tf.Tensor3D, shape);
    const dWqkv = tf.matMul(affine(xHat1, p.norm1), dQkv, true, false);
    const [dNorm1In, dGamma1, dBeta1] = layerNormBackward(tf.matMul(dQkv, p.qkv.weight, false, true), xHat1, invStd1, p.norm1.weight);
    return [tf.add(dA, dNorm1In), dGamma1, dBeta1, dWqkv, tf.sum(dQkv, 0), dWproj, tf.sum(dA, 0)];
  });
  tf.dispose([dAttended, context, qkv, probs, xHat1, invStd1]);

  return [dx, dGamma1, dBeta1, dWqkv, dBqkv, dWproj, dBproj, dGamma2, dBeta2, dW1, dB1, dW2, dB2];
}

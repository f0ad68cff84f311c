import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../contracts/trainable';
import type { SafeTensor } from './safetensors';

/**
 * Parameters as safetensors entries in PyTorch layout (linear weights transposed to [out, in]).
 * Read asynchronously: a GPU backend (webgpu in Node) cannot read synchronously.
 */
export async function exportWeights(params: readonly NamedVariable[]): Promise<Map<string, SafeTensor>> {
  const out = new Map<string, SafeTensor>();
  for (const p of params) {
    const t = p.transposeForTorch ? tf.transpose(p.variable) : p.variable;
    try {
      out.set(p.name, { dtype: 'F32', shape: t.shape.slice(), data: (await t.data()) as Float32Array });
    } finally {
      if (t !== p.variable) t.dispose();
    }
  }
  return out;
}

/** Plain tensors (optimizer slots, ...) as safetensors entries, unchanged. */
export async function exportTensors(tensors: ReadonlyMap<string, tf.Tensor>): Promise<Map<string, SafeTensor>> {
  const out = new Map<string, SafeTensor>();
  for (const [name, t] of tensors) out.set(name, { dtype: 'F32', shape: t.shape.slice(), data: (await t.data()) as Float32Array });
  return out;
}

/**
 * Assigns saved weights to parameters by name. Every parameter must be present with its
 * shape; extra entries are an error too (they mean the spec and checkpoint disagree).
 */
export function importWeights(params: readonly NamedVariable[], saved: ReadonlyMap<string, SafeTensor>, origin: string): void {
  const problems: string[] = [];
  const known = new Set(params.map((p) => p.name));
  for (const name of saved.keys()) if (!known.has(name)) problems.push(`unexpected "${name}"`);
  for (const p of params) {
    const s = saved.get(p.name);
    if (!s) {
      problems.push(`missing "${p.name}"`);
      continue;
    }
    const shape = p.transposeForTorch ? [...p.variable.shape].reverse() : p.variable.shape;
    if (s.shape.join(',') !== shape.join(',')) {
      problems.push(`"${p.name}" has shape [${s.shape}], the model expects [${shape}]`);
      continue;
    }
    tf.tidy(() => {
      const t = tf.tensor(s.data as Float32Array, s.shape, 'float32');
      p.variable.assign(p.transposeForTorch ? tf.transpose(t) : t);
    });
  }
  if (problems.length) throw new Error(`${origin} does not match the model: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? `; and ${problems.length - 8} more` : ''}`);
}

/** SafeTensor entries back to tf tensors (caller disposes). */
export function toTensors(saved: ReadonlyMap<string, SafeTensor>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, s] of saved) out.set(name, tf.tensor(s.data as Float32Array, s.shape, 'float32'));
  return out;
}

import * as tf from '@tensorflow/tfjs';
import { withCustomGrad } from '../nn/custom-grad';
import type { World } from './world';

/**
 * Wall time spent inside collectives since the last reset, and the bytes this rank put into
 * them, by kind: embedding gathers (with their backward all-reduces and SyncBatchNorm's sums)
 * and the gradient all-reduce. What the scaling benchmark splits a step into.
 */
export const collectiveTime = { gatherMs: 0, allReduceMs: 0, gatherBytes: 0, allReduceBytes: 0 };

export function resetCollectiveTime(): void {
  collectiveTime.gatherMs = 0;
  collectiveTime.allReduceMs = 0;
  collectiveTime.gatherBytes = 0;
  collectiveTime.allReduceBytes = 0;
}

function timed<T>(kind: 'gather' | 'allReduce', bytes: number, fn: () => T): T {
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    collectiveTime[`${kind}Ms`] += performance.now() - t0;
    collectiveTime[`${kind}Bytes`] += bytes;
  }
}

function float32(x: tf.Tensor, what: string): Float32Array {
  if (x.dtype !== 'float32') throw new TypeError(`${what}: collectives carry float32 tensors, got ${x.dtype}`);
  return x.dataSync() as Float32Array;
}

/**
 * Every rank's rows concatenated in rank order ([n, ...] → [n·size, ...]), differentiable:
 * the backward pass sums the incoming gradient over the ranks and returns this rank's rows,
 * as SLIP's all_gather_batch_with_grad and open_clip's gather_with_grad do. With that
 * rule and gradients averaged over ranks afterwards, a loss computed on the gathered batch
 * gets the single-process gradient. All ranks must pass the same shape.
 */
export function allGatherWithGrad<T extends tf.Tensor>(world: World, x: T): T {
  if (world.size === 1) return x;
  const rows = x.shape[0];
  return withCustomGrad<T>([x], () => {
    const gathered = timed('gather', x.size * 4, () => world.allGather(float32(x, 'allGather')));
    const value = tf.tensor(gathered, [rows * world.size, ...x.shape.slice(1)], 'float32') as T;
    const gradients = (dy: T): tf.Tensor[] => {
      const summed = dy.dataSync().slice() as Float32Array;
      timed('gather', summed.byteLength, () => world.allReduceSum(summed));
      const per = summed.length / world.size;
      return [tf.tensor(summed.subarray(world.rank * per, (world.rank + 1) * per), x.shape, 'float32')];
    };
    return { value, gradients };
  });
}

/** Every rank's rows concatenated in rank order, without gradient (EMA features, labels). */
export function allGather<T extends tf.Tensor>(world: World, x: T): T {
  if (world.size === 1) return x.clone() as T;
  const gathered = timed('gather', x.size * 4, () => world.allGather(float32(x, 'allGather')));
  return tf.tensor(gathered, [x.shape[0] * world.size, ...x.shape.slice(1)], 'float32') as T;
}

/**
 * Σ over ranks, differentiable: the backward pass is the same sum of the incoming gradients
 * (each rank's input feeds every rank's output). SyncBatchNorm's statistics use it.
 */
export function allReduceSumWithGrad<T extends tf.Tensor>(world: World, x: T): T {
  if (world.size === 1) return x;
  return withCustomGrad<T>([x], () => {
    const data = float32(x, 'allReduce').slice();
    timed('gather', data.byteLength, () => world.allReduceSum(data));
    const gradients = (dy: T): tf.Tensor[] => {
      const g = dy.dataSync().slice() as Float32Array;
      timed('gather', g.byteLength, () => world.allReduceSum(g));
      return [tf.tensor(g, x.shape, 'float32')];
    };
    return { value: tf.tensor(data, x.shape, 'float32') as T, gradients };
  });
}

/** DDP's default bucket: 25 MiB of float32 per all-reduce call. */
export const DEFAULT_BUCKET_BYTES = 25 * 2 ** 20;

/**
 * The mean of each gradient over the ranks, as few large all-reduces: the gradients, in name
 * order (the same on every rank), are packed into flat float32 buckets of at most
 * `bucketBytes` (a tensor larger than that is a bucket of its own), each bucket is summed in
 * one call and scaled by 1/size. Consumes `grads`; returns new tensors under the same names.
 */
export function allReduceMeanGradients(world: World, grads: Map<string, tf.Tensor>, bucketBytes = DEFAULT_BUCKET_BYTES): Map<string, tf.Tensor> {
  if (world.size === 1) return grads;
  const names = [...grads.keys()].sort();
  const out = new Map<string, tf.Tensor>();
  const maxValues = Math.max(1, Math.floor(bucketBytes / 4));
  let bucket: string[] = [];
  let values = 0;
  const flush = (): void => {
    if (bucket.length === 0) return;
    const flat = new Float32Array(values);
    let at = 0;
    for (const name of bucket) {
      const data = float32(grads.get(name)!, `gradient ${name}`);
      flat.set(data, at);
      at += data.length;
    }
    timed('allReduce', flat.byteLength, () => world.allReduceSum(flat));
    const scale = 1 / world.size;
    for (let i = 0; i < flat.length; i++) flat[i] *= scale;
    at = 0;
    for (const name of bucket) {
      const g = grads.get(name)!;
      out.set(name, tf.tensor(flat.subarray(at, at + g.size), g.shape, 'float32'));
      at += g.size;
      g.dispose();
    }
    bucket = [];
    values = 0;
  };
  for (const name of names) {
    const size = grads.get(name)!.size;
    if (values > 0 && values + size > maxValues) flush();
    bucket.push(name);
    values += size;
  }
  flush();
  return out;
}

/** The mean of each figure over the ranks (one all-reduce): losses and metrics as every rank would log them. */
export function allReduceMean(world: World, figures: readonly number[]): number[] {
  if (world.size === 1) return [...figures];
  const buf = Float64Array.from(figures);
  timed('allReduce', buf.byteLength, () => world.allReduceSum(buf));
  return Array.from(buf, (v) => v / world.size);
}

/** Makes every rank's variables rank 0's (the initial weights), one broadcast per variable. */
export function broadcastVariables(world: World, variables: readonly tf.Variable[]): void {
  if (world.size === 1) return;
  for (const v of variables) {
    if (v.dtype !== 'float32') continue;
    const data = (v.dataSync() as Float32Array).slice();
    world.broadcast(data, 0);
    v.assign(tf.tensor(data, v.shape, 'float32'));
  }
}

/** Rank 0's string on every rank (a run directory chosen by rank 0). */
export function broadcastString(world: World, value: string): string {
  if (world.size === 1) return value;
  const length = new Int32Array([Buffer.byteLength(value)]);
  world.broadcast(length, 0);
  const bytes = new Uint8Array(length[0]);
  if (world.rank === 0) bytes.set(Buffer.from(value));
  world.broadcast(bytes, 0);
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Counts the WebGPU work a step issues: compute dispatches (dispatchWorkgroups calls, from
 * tfjs-backend-webgpu's kernels and slipkit's WGSL kernels alike) and queue submissions. It
 * wraps the compute pass encoder's prototype and the device queue of the active webgpu
 * backend, so it sees every dispatch on any adapter (lavapipe included): the device-free
 * proxy for per-step overhead.
 */
import * as tf from '@tensorflow/tfjs';

export interface DispatchCounts {
  dispatches: number;
  submits: number;
}

interface WebgpuBackendParts {
  device: { createCommandEncoder(): { beginComputePass(): object } };
  queue: { submit(buffers: unknown[]): void };
}

/** Starts counting on the active webgpu backend; the returned function reads the counts since the last read. */
export function countWebgpuWork(): () => DispatchCounts {
  if (tf.getBackend() !== 'webgpu') throw new Error(`dispatch counting needs the webgpu backend (active: ${tf.getBackend()})`);
  const backend = tf.backend() as unknown as WebgpuBackendParts;
  const counts: DispatchCounts = { dispatches: 0, submits: 0 };
  const pass = backend.device.createCommandEncoder().beginComputePass() as { end(): void };
  const proto = Object.getPrototypeOf(pass) as { dispatchWorkgroups: (...args: number[]) => void };
  pass.end();
  const dispatch = proto.dispatchWorkgroups;
  proto.dispatchWorkgroups = function (this: unknown, ...args: number[]) {
    counts.dispatches++;
    return dispatch.apply(this, args);
  };
  const queue = backend.queue;
  const submit = queue.submit.bind(queue);
  queue.submit = (buffers: unknown[]) => {
    counts.submits++;
    return submit(buffers);
  };
  return () => {
    const out = { ...counts };
    counts.dispatches = 0;
    counts.submits = 0;
    return out;
  };
}

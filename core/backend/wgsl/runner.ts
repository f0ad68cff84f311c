import * as tf from '@tensorflow/tfjs';

/*
 * Runs slipkit's own WGSL compute shaders on tfjs-backend-webgpu's device, queue and buffers,
 * with several outputs per dispatch (tfjs's WebGPUProgram has one), a pipeline cached per
 * shader and a uniform buffer cached per uniform content (a layer's shapes are the same every
 * step, so after the first step no uniform is written again). Dispatches are recorded into the
 * backend's open compute pass and submitted with its batch, exactly as its own kernels are.
 */

/** The parts of tfjs-backend-webgpu's WebGPUBackend used here (not in its public types). */
interface GpuBuffer {
  readonly size: number;
}
interface GpuBindGroupLayout {
  readonly label?: string;
}
interface GpuPipeline {
  getBindGroupLayout(index: number): GpuBindGroupLayout;
}
interface GpuPass {
  setPipeline(pipeline: GpuPipeline): void;
  setBindGroup(index: number, group: unknown): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
}
interface GpuDevice {
  createShaderModule(d: { code: string; label?: string }): unknown;
  createComputePipeline(d: { layout: 'auto'; compute: { module: unknown; entryPoint: string }; label?: string }): GpuPipeline;
  createBindGroup(d: { layout: GpuBindGroupLayout; entries: Array<{ binding: number; resource: { buffer: GpuBuffer } }> }): unknown;
  createBuffer(d: { size: number; usage: number }): GpuBuffer;
}
export interface WebgpuBackendInternals {
  device: GpuDevice;
  queue: { writeBuffer(buffer: GpuBuffer, offset: number, data: ArrayBuffer): void };
  tensorMap: { get(dataId: object): { resource?: unknown } };
  commandQueueOwnedIds: WeakSet<object>;
  commandEncoder: { beginComputePass(d: object): GpuPass } | null;
  computePassEncoder: GpuPass | null;
  dispatchCountInPass: number;
  makeTensorInfo(shape: number[], dtype: 'float32'): tf.TensorInfo;
  uploadToGPU(dataId: object): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** One compute shader: WGSL whose bindings are the inputs, then the outputs, then (when it has uniforms) one uniform buffer. */
export interface WgslKernel {
  /** Unique per shader text (it keys the pipeline cache). */
  key: string;
  code: string;
}

const pipelines = new WeakMap<GpuDevice, Map<string, GpuPipeline>>();
const uniformBuffers = new WeakMap<GpuDevice, Map<string, GpuBuffer>>();
/** Uniform contents kept per device at most; past that, new contents are written into fresh buffers kept too (they are small). */
const GPU_BUFFER_USAGE_UNIFORM_COPY_DST = 0x40 | 0x08;

function pipelineFor(device: GpuDevice, kernel: WgslKernel): GpuPipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  let pipeline = cache.get(kernel.key);
  if (!pipeline) {
    const module = device.createShaderModule({ code: kernel.code, label: kernel.key });
    pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: kernel.key });
    cache.set(kernel.key, pipeline);
  }
  return pipeline;
}

/** Uniforms as 32-bit words: integers as u32, and floats (`{ f: x }`) as f32. */
export type UniformWord = number | { f: number };

function uniformBuffer(backend: WebgpuBackendInternals, words: UniformWord[]): GpuBuffer {
  const bytes = new ArrayBuffer(Math.max(16, Math.ceil((words.length * 4) / 16) * 16));
  const u32 = new Uint32Array(bytes);
  const f32 = new Float32Array(bytes);
  words.forEach((w, i) => {
    if (typeof w === 'number') u32[i] = w;
    else f32[i] = w.f;
  });
  const key = Array.from(u32).join(',');
  let cache = uniformBuffers.get(backend.device);
  if (!cache) uniformBuffers.set(backend.device, (cache = new Map()));
  let buffer = cache.get(key);
  if (!buffer) {
    buffer = backend.device.createBuffer({ size: bytes.byteLength, usage: GPU_BUFFER_USAGE_UNIFORM_COPY_DST });
    backend.queue.writeBuffer(buffer, 0, bytes);
    // Shapes repeat every step; per-step values (AdamW's learning rate) make a bounded number
    // of new entries per step, dropped wholesale when the cache grows large (the buffers are
    // released by the garbage collector once no pending command uses them).
    if (cache.size > 4096) cache.clear();
    cache.set(key, buffer);
  }
  return buffer;
}

function bufferOf(backend: WebgpuBackendInternals, t: tf.TensorInfo): GpuBuffer {
  backend.uploadToGPU(t.dataId);
  const resource = backend.tensorMap.get(t.dataId).resource;
  if (!resource) throw new Error('a WGSL kernel input has no GPU buffer');
  backend.commandQueueOwnedIds.add(t.dataId);
  return resource as GpuBuffer;
}

/**
 * Records one dispatch of `kernel` over `workgroups` and returns its outputs, new float32
 * tensors of `outputShapes`. `inPlace` binds existing tensors as further read-write buffers
 * after the outputs (a second pass writing into the first pass's output).
 */
export function runWgsl(
  backendObject: unknown,
  kernel: WgslKernel,
  inputs: tf.TensorInfo[],
  outputShapes: number[][],
  uniforms: UniformWord[],
  workgroups: [number, number?, number?],
  inPlace: tf.TensorInfo[] = [],
): tf.TensorInfo[] {
  const backend = backendObject as WebgpuBackendInternals;
  const outputs = outputShapes.map((shape) => backend.makeTensorInfo(shape, 'float32'));
  const buffers = [...inputs, ...outputs, ...inPlace].map((t) => bufferOf(backend, t));
  if (uniforms.length > 0) buffers.push(uniformBuffer(backend, uniforms));
  const pipeline = pipelineFor(backend.device, kernel);
  const bindGroup = backend.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
  backend.ensureCommandEncoderReady();
  backend.computePassEncoder ??= backend.commandEncoder!.beginComputePass({});
  backend.computePassEncoder.setPipeline(pipeline);
  backend.computePassEncoder.setBindGroup(0, bindGroup);
  const [x, y = 1, z = 1] = workgroups;
  backend.computePassEncoder.dispatchWorkgroups(x, y, z);
  backend.dispatchCountInPass++;
  if (backend.dispatchCountInPass >= (tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number)) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  return outputs;
}

/** Workgroups for `n` invocations of `size` each, spread over x and y (at most 65535 per dimension). */
export function workgroupsFor(n: number, size: number): [number, number] {
  const groups = Math.max(1, Math.ceil(n / size));
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}

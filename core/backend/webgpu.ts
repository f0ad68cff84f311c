import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { installedVersion } from './package-root';
import { firstLine, loadModule } from './load-module';
import { activateTfBackend, captureTfWarnings, checkComputes, failureText, reselect } from './tfjs-engine';
import type { BackendCandidate, BackendProbe } from './types';
import { registerWgslKernels } from './wgsl';

/*
 * WebGPU through Dawn, from the optional npm package `webgpu`. tfjs-backend-webgpu registers
 * itself only if navigator.gpu exists when it is first imported, so navigator.gpu (and the
 * GPUBufferUsage-style globals it uses) are set from Dawn before it is required; it is never
 * imported statically anywhere in slipkit for that reason.
 */

/** The parts of the WebGPU API used here (the `webgpu` package's full types are @webgpu/types). */
interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}
interface GpuAdapter {
  info?: GpuAdapterInfo;
  isFallbackAdapter?: boolean;
  limits?: { maxStorageBufferBindingSize?: number; maxComputeWorkgroupStorageSize?: number };
}
interface Gpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapter | null>;
}
interface DawnModule {
  create(options: string[]): Gpu;
  globals: Record<string, unknown>;
}

/** One probe per setting of the software switch (a refused software adapter may be accepted once the switch is set). */
const probed = new Map<boolean, Promise<BackendProbe>>();

/**
 * The environment switch that lets the probe accept a software adapter (Mesa's lavapipe,
 * SwiftShader). Off by default: a software adapter is slower than wasm, so `auto` must not
 * pick it; the tests and CI set it to run real WebGPU on the CPU.
 */
export const SOFTWARE_SWITCH = 'SLIPKIT_WEBGPU_ALLOW_SOFTWARE';

function softwareAllowed(): boolean {
  return /^(1|true|yes)$/i.test(process.env[SOFTWARE_SWITCH] ?? '');
}

function isSoftwareAdapter(adapter: GpuAdapter, name: string): boolean {
  return adapter.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe/i.test(name);
}

const unavailable = (reason: string): BackendProbe => ({ name: 'webgpu', available: false, reason });

async function probeWebgpu(allowSoftware: boolean): Promise<BackendProbe> {
  const version = installedVersion('webgpu');
  if (version === undefined) return unavailable('the optional npm package `webgpu` (Dawn) is not installed');
  // Dawn on Linux runs on Vulkan; without the loader it finds nothing and prints a warning to
  // stderr from native code, so look for the loader first.
  if (process.platform === 'linux' && !vulkanLoaderPresent()) return unavailable('no Vulkan loader (libvulkan.so.1) on this machine, which Dawn needs on Linux');
  const dawn = loadModule<DawnModule>('webgpu');
  if (!dawn.ok) return unavailable(`webgpu ${version} (Dawn) fails to load: ${dawn.reason}`);
  let adapter: GpuAdapter | null;
  let gpu: Gpu;
  try {
    gpu = dawn.module.create([]);
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return unavailable(`Dawn could not look for adapters: ${firstLine(err)}`);
  }
  if (!adapter) return unavailable('Dawn found no WebGPU adapter (no usable GPU driver)');
  const name = adapterName(adapter);
  const software = isSoftwareAdapter(adapter, name);
  if (software && !allowSoftware) {
    return unavailable(`only a software adapter (${name}); wasm is faster (${SOFTWARE_SWITCH}=1 allows it when the spec names webgpu)`);
  }
  exposeNavigatorGpu(gpu, dawn.module.globals);
  const failed = importTfjsWebgpu();
  if (failed) return unavailable(`@tensorflow/tfjs-backend-webgpu: ${failed}`);
  if (tf.findBackendFactory('webgpu') === null) {
    return unavailable('@tensorflow/tfjs-backend-webgpu was imported before navigator.gpu existed, so it did not register');
  }
  registerWgslKernels();
  const previous = tf.getBackend();
  const { value: ok, warnings } = await captureTfWarnings(() => tf.setBackend('webgpu'));
  let failure: string | undefined = ok ? undefined : failureText(warnings, 'no reason given');
  if (ok) {
    try {
      await checkComputes();
    } catch (err) {
      failure = firstLine(err);
    }
  }
  await reselect(previous);
  if (failure) return unavailable(`adapter ${name} found, but tfjs-backend-webgpu failed to start: ${failure}`);
  return {
    name: 'webgpu',
    available: true,
    software,
    reason: `Dawn ${version} on ${name}${software ? ` (software adapter, allowed by ${SOFTWARE_SWITCH})` : ''}`,
    details: { package: `webgpu ${version}`, adapter: name, limits: adapterLimits(adapter), tfjsBackend: `@tensorflow/tfjs-backend-webgpu ${installedVersion('@tensorflow/tfjs-backend-webgpu') ?? '?'}` },
  };
}

/**
 * Imports tfjs-backend-webgpu, now that navigator.gpu exists; returns why it failed, if it did.
 * A literal require (not loadModule's by-name one) so that a bundler (bench/gpu/pack.sh)
 * includes it, sharing the bundle's one copy of tfjs-core.
 */
function importTfjsWebgpu(): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-backend-webgpu');
    return undefined;
  } catch (err) {
    return firstLine(err);
  }
}

function adapterName(adapter: GpuAdapter): string {
  const info = adapter.info ?? {};
  const parts = [info.vendor, info.architecture, info.description || info.device].filter((p): p is string => !!p);
  return parts.length > 0 ? parts.join(' ') : 'an unnamed adapter';
}

/** The limits that decide what fits on the device: the largest storage buffer and the workgroup memory. */
function adapterLimits(adapter: GpuAdapter): string {
  const { maxStorageBufferBindingSize: storage, maxComputeWorkgroupStorageSize: shared } = adapter.limits ?? {};
  return `largest storage buffer ${storage === undefined ? '?' : `${Math.round(storage / 2 ** 20)} MiB`}, workgroup memory ${shared === undefined ? '?' : `${Math.round(shared / 1024)} KiB`}`;
}

/** navigator.gpu and the WebGPU constant globals, as a browser has them. */
function exposeNavigatorGpu(gpu: Gpu, globals: Record<string, unknown>): void {
  const scope = globalThis as Record<string, unknown>;
  for (const [key, value] of Object.entries(globals)) if (!(key in scope)) scope[key] = value;
  const nav = scope.navigator as object | undefined;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}

/** Whether the dynamic loader can find libvulkan.so.1 (ld.so.cache, LD_LIBRARY_PATH or usual dirs). */
function vulkanLoaderPresent(): boolean {
  const lib = 'libvulkan.so.1';
  try {
    if (fs.readFileSync('/etc/ld.so.cache').includes(lib)) return true;
  } catch {
    // no cache: fall through to the directory search
  }
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':'), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib64', '/lib'];
  return dirs.filter(Boolean).some((d) => fs.existsSync(path.join(d, lib)));
}

export const webgpuCandidate: BackendCandidate = {
  name: 'webgpu',
  probe: () => {
    const allow = softwareAllowed();
    let probe = probed.get(allow);
    if (!probe) probed.set(allow, (probe = probeWebgpu(allow)));
    return probe;
  },
  activate: () => activateTfBackend('webgpu'),
};

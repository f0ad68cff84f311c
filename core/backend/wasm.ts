import * as tf from '@tensorflow/tfjs';
import { installedVersion } from './package-root';
import { loadModule } from './load-module';
import { activateTfBackend, captureTfWarnings, failureText, reselect } from './tfjs-engine';
import type { BackendCandidate, BackendProbe } from './types';

/*
 * The WebAssembly backend (XNNPACK kernels, SIMD; single-threaded in Node).
 *
 * Known defect (tfjs-backend-wasm 4.22): tf.oneHot(indices, depth, 1, 0, 'float32') returns
 * garbage — the kernel writes int32 bit patterns into the float32 output (1 reads as 1.4e-45).
 * Build one-hot targets as tf.oneHot(indices, depth).cast('float32') (or .toFloat()) instead;
 * that is right on every backend.
 */

let probed: Promise<BackendProbe> | undefined;

async function probeWasm(): Promise<BackendProbe> {
  const loaded = loadModule<unknown>('@tensorflow/tfjs-backend-wasm');
  if (!loaded.ok) return { name: 'wasm', available: false, reason: loaded.missing ? '@tensorflow/tfjs-backend-wasm is not installed' : `@tensorflow/tfjs-backend-wasm fails to load: ${loaded.reason}` };
  const previous = tf.getBackend();
  const { value: ok, warnings } = await captureTfWarnings(() => tf.setBackend('wasm'));
  let features = '';
  if (ok) {
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    const threads = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
    features = `SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'}`;
  }
  await reselect(previous);
  const version = installedVersion('@tensorflow/tfjs-backend-wasm') ?? 'unknown version';
  if (!ok) return { name: 'wasm', available: false, reason: `tfjs-backend-wasm ${version} failed to initialise: ${failureText(warnings, 'no reason given')}` };
  return { name: 'wasm', available: true, reason: `tfjs-backend-wasm ${version} (${features})`, details: { package: `@tensorflow/tfjs-backend-wasm ${version}`, features } };
}

export const wasmCandidate: BackendCandidate = {
  name: 'wasm',
  probe: () => (probed ??= probeWasm()),
  activate: () => activateTfBackend('wasm'),
};

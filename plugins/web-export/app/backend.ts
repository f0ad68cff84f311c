import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** The backends the page tries, fastest first. */
export const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm'] as const;

/**
 * Selects the first backend that initialises: WebGPU where the browser has an adapter, else
 * WebGL, else WebAssembly (its .wasm files are served beside the page). `forced` (the page's
 * ?backend= parameter) tries that one only. Also says why each faster one was skipped.
 */
export async function selectBackend(forced?: string | null): Promise<{ backend: string; skipped: string[] }> {
  setWasmPaths(new URL('./', document.baseURI).href);
  const order = forced ? [forced] : [...BACKEND_ORDER];
  const failures: string[] = [];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return { backend: tf.getBackend(), skipped: failures };
      }
      failures.push(`${name}: not available`);
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no tfjs backend initialised (${failures.join('; ')})`);
}

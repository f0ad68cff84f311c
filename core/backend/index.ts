import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../errors';
import type { Logger } from '../logger';
import type { BackendName, BackendProbe, BackendRequest, BackendSelection } from './types';

export * from './types';

/** Order `auto` tries. */
export const AUTO_ORDER: BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

/** Initial implementation: only the pure-JS cpu backend (replaced by the backend module). */
async function activate(name: BackendName): Promise<BackendProbe> {
  if (name !== 'cpu') return { name, available: false, reason: 'not implemented yet' };
  await tf.setBackend('cpu');
  await tf.ready();
  return { name, available: true, reason: 'pure JavaScript' };
}

export async function selectBackend(request: BackendRequest, log: Logger): Promise<BackendSelection> {
  const order = request === 'auto' ? AUTO_ORDER : [request];
  const probes: BackendProbe[] = [];
  for (const name of order) {
    const probe = await activate(name);
    probes.push(probe);
    if (probe.available) {
      for (const p of probes.slice(0, -1)) log.info(`backend ${p.name} skipped: ${p.reason}`);
      log.info(`backend ${name}: ${probe.reason}`);
      return { name, probes };
    }
  }
  throw new BackendError(`no backend could be started: ${probes.map((p) => `${p.name} (${p.reason})`).join('; ')}`);
}

export async function probeBackends(): Promise<BackendProbe[]> {
  return [await activate('cpu')];
}

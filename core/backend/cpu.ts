import * as tf from '@tensorflow/tfjs';
import { activateTfBackend } from './tfjs-engine';
import type { BackendCandidate, BackendProbe } from './types';

/** The pure-JavaScript reference backend: always there, deterministic, slowest. */
export const cpuCandidate: BackendCandidate = {
  name: 'cpu',
  async probe(): Promise<BackendProbe> {
    const registered = tf.findBackendFactory('cpu') !== null;
    return registered
      ? { name: 'cpu', available: true, reason: 'pure JavaScript (tfjs-backend-cpu), deterministic and slow', details: { package: `@tensorflow/tfjs-backend-cpu ${tf.version_core}` } }
      : { name: 'cpu', available: false, reason: 'tfjs-backend-cpu is not registered (broken @tensorflow/tfjs install?)' };
  },
  activate: () => activateTfBackend('cpu'),
};

/**
 * Mocha setup (loaded by .mocharc.json before any test): reflect-metadata for tsyringe,
 * quiet logs, and the deterministic pure-JS cpu backend unless SLIPKIT_TEST_BACKEND says otherwise.
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';
import { quietCpuBackend, selectBackend, type BackendName } from '../core/backend';
import { log, Logger } from '../core/logger';

log.setLevel((process.env.SLIPKIT_LOG_LEVEL as 'debug' | 'info' | 'warn') ?? 'warn');

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    const backend = process.env.SLIPKIT_TEST_BACKEND ?? 'cpu';
    // Backends other than cpu (the native one in .native) are registered only when selected.
    if (backend === 'cpu') await tf.setBackend(backend);
    else await selectBackend(backend as BackendName, new Logger('error', { write: () => undefined }));
    await tf.ready();
    quietCpuBackend();
  },
};

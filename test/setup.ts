/**
 * Mocha setup (loaded by .mocharc.json before any test): reflect-metadata for tsyringe,
 * quiet logs, and the deterministic pure-JS cpu backend unless SLIPKIT_TEST_BACKEND says otherwise.
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';
import { quietCpuBackend } from '../core/backend';
import { log } from '../core/logger';

log.setLevel((process.env.SLIPKIT_LOG_LEVEL as 'debug' | 'info' | 'warn') ?? 'warn');

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    await tf.setBackend(process.env.SLIPKIT_TEST_BACKEND ?? 'cpu');
    await tf.ready();
    quietCpuBackend();
  },
};

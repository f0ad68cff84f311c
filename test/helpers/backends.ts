import * as tf from '@tensorflow/tfjs';
import { nativeInstall, selectBackend } from '../../core/backend';
import { Logger } from '../../core/logger';

/**
 * Under CI=true the native backend and its fused ops are required: scripts/setup-native.js fails
 * the run when it cannot build them, and the tests that need them fail (never skip) without them,
 * so a CI run cannot pass green while testing none of the native paths. No variable
 * (SLIPKIT_SKIP_NATIVE included) turns this off under CI.
 */
export const nativeRequired = (): boolean => process.env.CI === 'true';

/** Whether the tests that need the native backend run: it is provisioned, or CI requires it (and they then fail without it). */
export const nativeTested = (): boolean => nativeRequired() || nativeInstall().ready;

/** Whether the fused-ops tests run: setup built the addon, or CI requires it. */
export const fusedOpsTested = (): boolean => nativeRequired() || Boolean(nativeInstall().manifest?.fusedOps?.addon);

/** How a title names the case it runs in: required by CI, provisioned locally, or not provisioned. */
export function nativeCase(): string {
  if (nativeRequired()) return 'CI=true: native backend required';
  return nativeInstall().ready ? 'local run, native backend provisioned' : 'local run, native backend not provisioned';
}

/**
 * The backends numeric tests run on: cpu always (tfjs's JavaScript kernels), and the native
 * `tensorflow` backend when `npm run setup:native` built it (always under CI=true), since
 * slipkit's layers take backend-specific paths there (native MatMul kernels, the fused AdamW).
 */
export const numericBackends = (): string[] => ['cpu', ...(nativeTested() ? ['tensorflow'] : [])];

const quiet = new Logger('error', { write: () => undefined });

/** `describe(title on backend)` per numeric backend, switched to that backend for its tests and back after. */
export function describeOnBackends(title: string, body: (backend: string) => void): void {
  for (const backend of numericBackends()) {
    describe(`${title} (on ${backend})`, function () {
      this.timeout(60_000);
      let previous: string;
      before(async () => {
        previous = tf.getBackend();
        if (backend === 'tensorflow') await selectBackend('tensorflow', quiet);
        else await tf.setBackend(backend);
      });
      after(async () => {
        await tf.setBackend(previous);
      });
      body(backend);
    });
  }
}

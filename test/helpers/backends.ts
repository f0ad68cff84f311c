import * as tf from '@tensorflow/tfjs';
import { nativeInstall, selectBackend } from '../../core/backend';
import { Logger } from '../../core/logger';

/**
 * The backends numeric tests run on: cpu always (tfjs's JavaScript kernels), and the native
 * `tensorflow` backend when `npm run setup:native` built it, since slipkit's layers take
 * backend-specific paths there (native MatMul kernels, the fused AdamW).
 */
export const numericBackends = (): string[] => ['cpu', ...(nativeInstall().ready ? ['tensorflow'] : [])];

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

import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../core/backend';
import { SOFTWARE_SWITCH } from '../../core/backend/webgpu';
import { Logger } from '../../core/logger';

/** Mesa's software Vulkan driver, lavapipe, as scripts/provision/webgpu.sh installs it. */
export const LAVAPIPE_ICD = '/usr/share/vulkan/icd.d/lvp_icd.json';

/**
 * Whether the webgpu tests run: always under CI=true (scripts/provision/webgpu.sh provisions
 * lavapipe there, and the tests fail rather than skip without it), and locally when lavapipe
 * is installed.
 */
export const webgpuTested = (): boolean => process.env.CI === 'true' || fs.existsSync(LAVAPIPE_ICD);

const quiet = new Logger('error', { write: () => undefined });

/**
 * Selects the webgpu backend for the tests in `body`, on lavapipe unless VK_DRIVER_FILES names
 * another driver (the software switch lets the probe accept it), and selects the previous
 * backend again after them.
 */
export function describeOnWebgpu(title: string, body: () => void): void {
  if (!webgpuTested()) return;
  describe(`${title} (on webgpu)`, function () {
    this.timeout(120_000);
    let previous: string;
    let switchBefore: string | undefined;
    before(async () => {
      previous = tf.getBackend();
      switchBefore = process.env[SOFTWARE_SWITCH];
      process.env[SOFTWARE_SWITCH] = '1';
      process.env.VK_DRIVER_FILES ??= LAVAPIPE_ICD;
      await selectBackend('webgpu', quiet);
    });
    after(async () => {
      if (switchBefore === undefined) delete process.env[SOFTWARE_SWITCH];
      else process.env[SOFTWARE_SWITCH] = switchBefore;
      await tf.setBackend(previous);
    });
    body();
  });
}

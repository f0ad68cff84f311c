import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (scripts/provision/chromium.sh installs it); playwright-core never downloads a browser. */
export const CHROMIUM = process.env.SLIPKIT_CHROMIUM ?? '/usr/bin/chromium';

/** Flags that keep a headless Chromium off the network and off the GPU. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Chromium's own software WebGPU adapter (SwiftShader), so a page's WebGPU path runs without a
 * GPU. (WebGPU needs a secure context: the page must come from 127.0.0.1 or localhost.)
 */
export const SOFTWARE_WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

/** A headless Chromium with a fresh profile (removed by close). */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/provision/chromium.sh (apt-get install chromium)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'slipkit-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...ARGS, ...extraArgs], viewport: { width: 1100, height: 900 } });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

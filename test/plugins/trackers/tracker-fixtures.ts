import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { container } from 'tsyringe';
import type { Tracker } from '../../../core/contracts/tracker';
import { Logger, type LogLevel } from '../../../core/logger';
import type { PluginContext } from '../../../core/plugins/define';
import { withDefaults } from '../../../core/plugins/options';
import { makeCliContext } from '../../../core/cli/context';
import { main } from '../../../core/cli/main';
import { builtinCommands } from '../../../plugins/index';
import mlflowPlugin, { type MlflowTrackerPluginOptions } from '../../../plugins/trackers/mlflow';
import { MlflowRestClient } from '../../../plugins/trackers/mlflow/rest-client';
import { MlflowTestServer } from '../../helpers/mlflow-server';

/** A logger that keeps its lines, to check what a tracker printed. */
export class MemoryLog {
  readonly lines: string[] = [];
  readonly logger: Logger;
  constructor(level: LogLevel = 'debug') {
    this.logger = new Logger(level, { write: (line: string) => void this.lines.push(line) });
  }
  get text(): string {
    return this.lines.join('');
  }
  matching(re: RegExp): string[] {
    return this.lines.filter((l) => re.test(l));
  }
}

export function pluginContext(log: Logger, specPath = 'tracking'): PluginContext {
  return {
    container: container.createChildContainer(),
    log,
    seed: 0,
    baseDir: process.cwd(),
    path: specPath,
    settings: { imageSize: 32, embedDim: 16 },
    build: () => {
      throw new Error('trackers build no nested plugins');
    },
  };
}

/** Builds the `mlflow` tracker plugin as the engine does, from a spec block's options. */
export function buildMlflowTracker(options: Partial<MlflowTrackerPluginOptions>, log: Logger): Tracker {
  return mlflowPlugin.create!(withDefaults(mlflowPlugin.schema, options), pluginContext(log)) as Tracker;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `slipkit-${prefix}-`));
}

/** Fast retries for tests: an outage is noticed within a fraction of a second. */
export const FAST_RETRY = { maxRetries: 2, retryInitialMs: 20, retryMaxMs: 100, timeoutMs: 5000 } as const;

/** A resolved-spec-like object: what the engine flattens into params. */
export const SAMPLE_SPEC = {
  name: 'slip-tiny',
  seed: 0,
  backend: 'cpu',
  data: { train: { type: 'synthetic-shapes', count: 64 }, imageSize: 32 },
  model: { image: { type: 'vit', preset: 'tiny', patchSize: 8 }, embedDim: 16 },
  objectives: [
    { type: 'clip', weight: 1 },
    { type: 'simclr', weight: 1, temperature: 0.1, views: ['ssl', 'ssl'] },
  ],
  optimizer: { type: 'adamw', lr: 0.003, betas: [0.9, 0.98] },
  train: { steps: 20, batchSize: 8 },
  tracking: { type: 'mlflow', experiment: 'slip-tests' },
};

/** Tags as the engine sets them (see core/engine/run-tags.ts). */
export const ENGINE_TAGS = {
  'slipkit.git_commit': '0123456789abcdef0123456789abcdef01234567',
  'slipkit.backend': 'cpu',
  'slipkit.version': '0.1.0',
  'slipkit.tfjs_version': '4.22.0',
  'slipkit.host': 'test-host',
  'slipkit.spec_hash': 'a1b2c3d4e5f60718',
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** MLflow's key-value lists (params, tags) as a record. */
export const asRecord = (kvs: { key: string; value: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((kvs ?? []).map((kv) => [kv.key, kv.value]));

/** Runs the slipkit CLI in-process with the built-in commands; returns its exit code and what it printed. */
export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const ctx = makeCliContext([], { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) }, builtinCommands);
  const code = await main(['node', 'slipkit', ...args], [], ctx);
  return { code, out, err };
}

/** A real MLflow server, a patient REST client on it and a scratch folder: set once the before hook has run. */
export interface LiveMlflow {
  server: MlflowTestServer;
  api: MlflowRestClient;
  root: string;
}

/**
 * Starts a real MLflow tracking server before the enclosing describe block's tests (with a
 * REST client that retries while it settles, and a scratch folder `slipkit-<prefix>-*`), and
 * stops it and removes the folder after them. Call it at the top of a describe body.
 */
export function useMlflowServer(prefix: string): LiveMlflow {
  const live = {} as LiveMlflow;
  before(async function () {
    this.timeout(120_000);
    live.server = await MlflowTestServer.start();
    live.api = new MlflowRestClient({ uri: live.server.uri, retry: { maxRetries: 10, initialDelayMs: 100, maxDelayMs: 1000 } });
    live.root = tempDir(prefix);
  });
  after(async function () {
    this.timeout(60_000);
    await live.server?.close();
    if (live.root) fs.rmSync(live.root, { recursive: true, force: true });
  });
  return live;
}

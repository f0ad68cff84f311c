import type { PluginRegistry } from '../plugins/registry';
import type { LoadedExperiment } from '../spec/resolve';
import type { RunStatus } from '../contracts/tracker';
import { TrainingError } from '../errors';

export interface RunOptions {
  runDir?: string;
  stdout: { write(s: string): unknown; isTTY?: boolean };
}

export interface RunResult {
  status: Exclude<RunStatus, 'RUNNING'>;
  runDir: string;
  metrics: Record<string, number>;
}

/** Placeholder until the training engine lands (issue 5). */
export async function runExperiment(loaded: LoadedExperiment, registry: PluginRegistry, options: RunOptions): Promise<RunResult> {
  void registry;
  void options;
  throw new TrainingError(`the training engine is not built yet (spec ${loaded.file} is valid)`);
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import { TrackingError, writeFileAtomic } from '../../../core/toolkit';

/**
 * What a run directory remembers about its tracking (`<runDir>/tracking/state.json`): which
 * store and run it logs to, the params already logged (a resumed run must not log a param
 * again with another value), and how far the outbox has been delivered.
 */
export interface RunTrackingState {
  version: 1;
  /** `rest`: an MLflow server; `local`: the FileStore-layout local store. */
  store: 'rest' | 'local';
  /** Server URI (never with credentials) for `rest`; absolute store directory for `local`. */
  location: string;
  experiment: string;
  runName: string;
  experimentId?: string;
  runId?: string;
  /** Artifact root the server gave the run (`mlflow-artifacts:/…`). */
  artifactUri?: string;
  /** Params logged so far (after sanitising): key → value. */
  params: Record<string, string>;
  /**
   * Highest step written out per metric key. A resumed run recomputes the steps between
   * its checkpoint and the interruption; points at or below these steps are not logged
   * again, so MLflow's history holds each step once.
   */
  metricSteps?: Record<string, number>;
  /** Highest outbox sequence number the server has acknowledged. */
  ackedSeq: number;
  /** Next outbox sequence number to hand out. */
  nextSeq: number;
  /** Process that is logging to this run now; `slipkit sync` refuses to race it. */
  writerPid?: number;
}

export const TRACKING_DIR = 'tracking';
export const STATE_FILE = 'state.json';

export function trackingDir(runDir: string): string {
  return path.join(runDir, TRACKING_DIR);
}

export function stateFile(runDir: string): string {
  return path.join(trackingDir(runDir), STATE_FILE);
}

export function readRunState(runDir: string): RunTrackingState | undefined {
  const file = stateFile(runDir);
  if (!fs.existsSync(file)) return undefined;
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as RunTrackingState;
    if (state.version !== 1) throw new Error(`unknown version ${String(state.version)}`);
    return state;
  } catch (err) {
    throw new TrackingError(`${file}: unreadable tracking state (${(err as Error).message})`);
  }
}

export function writeRunState(runDir: string, state: RunTrackingState): void {
  fs.mkdirSync(trackingDir(runDir), { recursive: true });
  writeFileAtomic(stateFile(runDir), JSON.stringify(state, null, 2) + '\n');
}

/** True when `pid` is a live process other than this one. */
export function isOtherLiveProcess(pid: number | undefined): boolean {
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

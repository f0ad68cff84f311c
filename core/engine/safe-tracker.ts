import type { RunInfo, RunStatus, Tracker } from '../contracts/tracker';
import type { Logger } from '../logger';

/** Wraps a tracker so that a tracking failure is logged and never stops training. */
export class SafeTracker {
  constructor(
    private readonly inner: Tracker | undefined,
    private readonly log: Logger,
  ) {}

  private async guard(what: string, call: (t: Tracker) => Promise<void> | void): Promise<void> {
    if (!this.inner) return;
    try {
      await call(this.inner);
    } catch (err) {
      this.log.warn(`tracking: ${what} failed: ${(err as Error).message}`);
    }
  }

  start(run: RunInfo) {
    return this.guard('start', (t) => t.start(run));
  }
  logParams(p: Record<string, string>) {
    return this.guard('logging params', (t) => t.logParams(p));
  }
  setTags(tags: Record<string, string>) {
    return this.guard('setting tags', (t) => t.setTags(tags));
  }
  logArtifact(file: string, artifactPath?: string) {
    return this.guard(`uploading ${file}`, (t) => t.logArtifact(file, artifactPath));
  }
  end(status: Exclude<RunStatus, 'RUNNING'>, error?: string) {
    return this.guard('ending the run', async (t) => {
      await t.flush();
      await t.end(status, error);
    });
  }
}

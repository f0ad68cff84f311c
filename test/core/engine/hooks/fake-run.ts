import { RunContext, type StepReport } from '../../../../core/engine/hooks/hook';

/** A run context at `step` of `totalSteps`, as if this session started at `startStep`. */
export function fakeRun(totalSteps: number, startStep = 0): RunContext {
  return new RunContext({ step: startStep, rng: {}, data: { epoch: 0, offset: 0 }, lossCurve: [] }, totalSteps);
}

/** Counts one step, as the loop does between checkStep and afterStep. */
export function advance(ctx: RunContext, loss = 1): void {
  ctx.state.step += 1;
  ctx.state.lossCurve.push(loss);
}

export function report(over: Partial<StepReport> = {}): StepReport {
  return { loss: 0.5, losses: { clip: 0.25, simclr: 0.5 }, metrics: { 'clip/clip_acc': 12.5 }, lr: 1e-3, images: 8, imagesPerSecond: 8, ...over };
}

/** A clock the test moves by hand (milliseconds). */
export function manualClock(): { now: () => number; set(ms: number): void } {
  let t = 0;
  return { now: () => t, set: (ms) => (t = ms) };
}

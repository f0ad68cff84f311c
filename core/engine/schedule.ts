/**
 * Learning rate per optimiser step, the same values as SLIP's `cosine_scheduler`
 * evaluated per iteration: a linear warmup `linspace(startLr, peak, warmupSteps)`, then
 * `endLr + ½(peak − endLr)(1 + cos(π·i / (total − warmup)))` for i = 0 … total − warmup − 1;
 * or the peak held constant after warmup.
 */
export interface LrSchedule {
  type: 'cosine' | 'constant';
  warmupSteps: number;
  startLr: number;
  endLr: number;
}

export function learningRate(step: number, totalSteps: number, peakLr: number, s: LrSchedule): number {
  const warmup = Math.min(s.warmupSteps, totalSteps);
  if (step < warmup) {
    return warmup === 1 ? s.startLr : s.startLr + ((peakLr - s.startLr) * step) / (warmup - 1);
  }
  if (s.type === 'constant') return peakLr;
  const decaySteps = Math.max(1, totalSteps - warmup);
  const i = Math.min(step - warmup, decaySteps - 1);
  return s.endLr + 0.5 * (peakLr - s.endLr) * (1 + Math.cos((Math.PI * i) / decaySteps));
}

/** EMA momentum m(step), cosine from `start` to `end` over training (BYOL / MoCo v3 / DINO). */
export function momentumAt(step: number, totalSteps: number, start: number, end: number): number {
  const t = totalSteps <= 1 ? 1 : Math.min(1, step / (totalSteps - 1));
  return end - (end - start) * 0.5 * (1 + Math.cos(Math.PI * t));
}

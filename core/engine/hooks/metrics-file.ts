import * as fs from 'node:fs';
import { metricsRow, type RunContext, type StepReport, type TrainingHook } from './hook';

/** Appends one JSON row per step to the run's metrics.jsonl: `{step, loss, lr, <label>/loss…, metrics…}`. */
export class MetricsFile implements TrainingHook {
  constructor(private readonly file: string) {}

  afterStep(ctx: RunContext, step: StepReport): void {
    fs.appendFileSync(this.file, JSON.stringify({ step: ctx.step, ...metricsRow(step) }) + '\n');
  }
}

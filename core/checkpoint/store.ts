import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RngState } from '../random';
import { writeFileAtomic } from './atomic';
import { encodeSafetensors, readSafetensors, type SafeTensor } from './safetensors';

/** Everything besides tensors that a run needs to continue exactly where it stopped. */
export interface TrainingState {
  /** Optimiser steps completed. */
  step: number;
  /** Saved random streams (augmentations, ...), by name. */
  rng: Record<string, RngState>;
  /** Position of the training data loader after the last consumed batch. */
  data: { epoch: number; offset: number };
  /** Best evaluation so far, when train.bestMetric is set. */
  best?: { metric: string; value: number; step: number };
  /** Loss per step so far (the run's curve; what the resume test compares). */
  lossCurve: number[];
}

export interface CheckpointPayload {
  /** Model, objective and EMA weights in PyTorch layout (open_clip / timm names). */
  weights: Map<string, SafeTensor>;
  /** Optimiser state (`<param>.exp_avg`, `<param>.exp_avg_sq`). */
  optimizer: Map<string, SafeTensor>;
  state: TrainingState;
  /** The resolved spec the run was started with. */
  spec: unknown;
}

export interface LoadedCheckpoint extends CheckpointPayload {
  dir: string;
}

type Pointer = 'last' | 'best';

/**
 * Checkpoints of one run: `<runDir>/checkpoints/step-000123/{model.safetensors,
 * optimizer.safetensors, state.json, spec.json}`, and `last.json` / `best.json` naming the
 * directory each refers to. A checkpoint directory is built under a temporary name and
 * renamed into place, and the pointers are replaced atomically, so a crash at any moment
 * leaves the previous checkpoint intact. Directories no pointer refers to are removed.
 */
export class CheckpointStore {
  readonly dir: string;

  constructor(runDir: string) {
    this.dir = path.join(runDir, 'checkpoints');
  }

  save(payload: CheckpointPayload, pointers: Pointer[]): string {
    fs.mkdirSync(this.dir, { recursive: true });
    const name = `step-${String(payload.state.step).padStart(6, '0')}`;
    const final = path.join(this.dir, name);
    const tmp = path.join(this.dir, `.${name}.tmp-${process.pid}`);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
    try {
      fs.writeFileSync(path.join(tmp, 'model.safetensors'), encodeSafetensors(payload.weights, { format: 'pt', producer: 'slipkit', step: String(payload.state.step) }));
      fs.writeFileSync(path.join(tmp, 'optimizer.safetensors'), encodeSafetensors(payload.optimizer));
      fs.writeFileSync(path.join(tmp, 'state.json'), JSON.stringify(payload.state));
      fs.writeFileSync(path.join(tmp, 'spec.json'), JSON.stringify(payload.spec, null, 2));
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    fs.rmSync(final, { recursive: true, force: true }); // same step saved again (e.g. after a resume)
    fs.renameSync(tmp, final);
    for (const p of pointers) writeFileAtomic(path.join(this.dir, `${p}.json`), JSON.stringify({ dir: name, step: payload.state.step }));
    this.prune();
    return final;
  }

  /** The directory a pointer names, if any. */
  pointer(which: Pointer): string | undefined {
    const file = path.join(this.dir, `${which}.json`);
    if (!fs.existsSync(file)) return undefined;
    const { dir } = JSON.parse(fs.readFileSync(file, 'utf8')) as { dir: string };
    return path.join(this.dir, dir);
  }

  load(which: Pointer = 'last'): LoadedCheckpoint | undefined {
    const dir = this.pointer(which);
    return dir ? loadCheckpointDir(dir) : undefined;
  }

  private prune(): void {
    const keep = new Set((['last', 'best'] as const).map((p) => this.pointer(p)).filter(Boolean).map((d) => path.basename(d!)));
    for (const entry of fs.readdirSync(this.dir)) {
      if (/^step-\d+$/.test(entry) && !keep.has(entry)) fs.rmSync(path.join(this.dir, entry), { recursive: true, force: true });
    }
  }
}

/** Reads one checkpoint directory (e.g. for `slipkit eval <checkpoint>`). */
export function loadCheckpointDir(dir: string): LoadedCheckpoint {
  const need = (f: string) => {
    const p = path.join(dir, f);
    if (!fs.existsSync(p)) throw new Error(`checkpoint ${dir} is incomplete: ${f} is missing`);
    return p;
  };
  return {
    dir,
    weights: readSafetensors(need('model.safetensors')).tensors,
    optimizer: readSafetensors(need('optimizer.safetensors')).tensors,
    state: JSON.parse(fs.readFileSync(need('state.json'), 'utf8')) as TrainingState,
    spec: JSON.parse(fs.readFileSync(need('spec.json'), 'utf8')) as unknown,
  };
}

import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../contracts/trainable';
import type { ConvertedTensor } from './layouts';

/** Which part of the model an import initialises. */
export type ImportTower = 'all' | 'image' | 'text';
export const IMPORT_TOWERS: readonly ImportTower[] = ['all', 'image', 'text'];

export interface MisShaped {
  name: string;
  /** The name in the source file. */
  source: string;
  shape: number[];
  expected: number[];
}

/** What an import did, by slipkit parameter name. */
export interface ImportReport {
  /** Parameters assigned from the checkpoint. */
  loaded: string[];
  /** Parameters of the chosen tower that the checkpoint lacks (they keep their initial values). */
  missing: string[];
  /** Checkpoint tensors of the chosen tower that match no parameter (source names). */
  unexpected: string[];
  misShaped: MisShaped[];
  /** Checkpoint tensors outside the chosen tower (or outside both towers: objective heads, EMA copies), left alone (source names). */
  skipped: string[];
}

/** `logit_scale` is optional on either side: a checkpoint may have it without the model, or the model (its clip objective) without the checkpoint. */
const OPTIONAL = new Set(['logit_scale']);

/** open_clip's (and slipkit's) text tower names. */
const TEXT_NAMES = /^(token_embedding\.|positional_embedding$|transformer\.|ln_final\.|text_projection$)/;

/** Which tower a name belongs to; 'other' for what no tower holds (objective heads, EMA copies, CoCa's decoder, …). */
function towerOf(name: string): Exclude<ImportTower, 'all'> | 'shared' | 'other' {
  if (name.startsWith('visual.')) return 'image';
  if (TEXT_NAMES.test(name)) return 'text';
  if (OPTIONAL.has(name)) return 'shared';
  return 'other';
}

const inTower = (name: string, tower: ImportTower) => (tower === 'all' ? towerOf(name) !== 'other' : towerOf(name) === tower);

/** The PyTorch-layout shape a parameter is saved with. */
const torchShape = (p: NamedVariable): number[] => (p.transposeForTorch ? [...p.variable.shape].reverse() : p.variable.shape.slice());

/**
 * Matches checkpoint tensors (already in slipkit's names) to parameters by name and shape,
 * within one tower, without assigning anything.
 */
export function planImport(
  params: readonly NamedVariable[],
  source: ReadonlyMap<string, Pick<ConvertedTensor, 'shape' | 'source'>>,
  tower: ImportTower,
  /** Parameters the checkpoint's layout can hold at all (see layoutCovers); others are never missing. */
  covers: (name: string) => boolean = () => true,
): ImportReport & { assign: Array<{ param: NamedVariable; name: string }> } {
  const report: ImportReport & { assign: Array<{ param: NamedVariable; name: string }> } = {
    loaded: [],
    missing: [],
    unexpected: [],
    misShaped: [],
    skipped: [],
    assign: [],
  };
  const byName = new Map(params.map((p) => [p.name, p]));
  for (const [name, t] of source) {
    if (!inTower(name, tower)) {
      report.skipped.push(t.source);
      continue;
    }
    const param = byName.get(name);
    if (!param) {
      if (!OPTIONAL.has(name)) report.unexpected.push(t.source);
      continue;
    }
    const expected = torchShape(param);
    if (t.shape.join(',') !== expected.join(',')) {
      report.misShaped.push({ name, source: t.source, shape: t.shape, expected });
      continue;
    }
    report.loaded.push(name);
    report.assign.push({ param, name });
  }
  for (const p of params) {
    if (inTower(p.name, tower) && covers(p.name) && !source.has(p.name) && !OPTIONAL.has(p.name)) report.missing.push(p.name);
  }
  return report;
}

/** One line per kind of problem, every name listed (what strict mode reports). */
export function describeMismatch(r: ImportReport): string[] {
  const lines: string[] = [];
  if (r.missing.length) lines.push(`missing (${r.missing.length}): ${r.missing.join(', ')}`);
  if (r.unexpected.length) lines.push(`unexpected (${r.unexpected.length}): ${r.unexpected.join(', ')}`);
  if (r.misShaped.length) {
    const items = r.misShaped.map((m) => `${m.source} [${m.shape}] (model ${m.name} expects [${m.expected}])`);
    lines.push(`mis-shaped (${r.misShaped.length}): ${items.join(', ')}`);
  }
  return lines;
}

/**
 * Assigns the checkpoint tensors the plan matched. `strict`: any missing, unexpected or
 * mis-shaped tensor is an error (thrown by `onMismatch` with every name) and nothing is assigned.
 */
export function importMatching(
  params: readonly NamedVariable[],
  source: ReadonlyMap<string, ConvertedTensor>,
  options: { tower: ImportTower; strict: boolean; covers?: (name: string) => boolean; onMismatch: (lines: string[]) => never },
): ImportReport {
  const plan = planImport(params, source, options.tower, options.covers);
  const problems = describeMismatch(plan);
  if (options.strict && problems.length) options.onMismatch(problems);
  for (const { param, name } of plan.assign) {
    const s = source.get(name)!;
    tf.tidy(() => {
      const t = tf.tensor(s.data as Float32Array, s.shape, 'float32');
      const value = param.transposeForTorch ? tf.transpose(t) : tf.reshape(t, param.variable.shape);
      param.variable.assign(value);
    });
  }
  const { assign, ...report } = plan;
  void assign;
  return report;
}

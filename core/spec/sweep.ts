import Ajv from 'ajv';
import { SpecError } from '../errors';
import { joinPath } from './json-path';
import { setAtPath } from './overrides';
import { SWEEP_SCHEMA } from './sweep-schema';
import type { RawSpec } from './types';
import { ajvIssues } from './validate';

/** A sweep larger than this is almost certainly a typo (a grid key swept over a long list). */
export const MAX_SWEEP_RUNS = 256;

/** Where a run sits in its sweep; carried into the run's tags. */
export interface SweepPosition {
  /** The sweep spec's own name; members are named `<name>-<index>`. */
  name: string;
  index: number;
  count: number;
  /** The values this member sets, by spec path. */
  values: Record<string, unknown>;
}

/** One expanded run of a sweep: the spec without its `sweep` block, the swept values set. */
export interface SweepMember extends SweepPosition {
  spec: RawSpec;
}

/**
 * `optimizer.lr=0.001, objectives[1].weight=0.5`. Compact form (for summaries): a swept
 * plugin block shows as its type, `objectives[1]=mocov3{…}`.
 */
export function describeSweepValues(values: Record<string, unknown>, compact = false): string {
  const show = (value: unknown): string => {
    const type = value && typeof value === 'object' && !Array.isArray(value) ? (value as { type?: unknown }).type : undefined;
    return compact && typeof type === 'string' ? `${type}{…}` : JSON.stringify(value);
  };
  return Object.entries(values)
    .map(([path, value]) => `${path}=${show(value)}`)
    .join(', ');
}

const checkSweep = new Ajv({ allErrors: true, strict: false, verbose: true }).compile({
  type: 'object',
  properties: { sweep: SWEEP_SCHEMA },
});

interface SweepBlock {
  grid?: Record<string, unknown[]>;
  list?: Array<Record<string, unknown>>;
}

/** Every combination of the grid, in order, the first path varying slowest. */
function gridCombinations(grid: Record<string, unknown[]>): Array<Record<string, unknown>> {
  let combos: Array<Record<string, unknown>> = [{}];
  for (const [path, values] of Object.entries(grid)) {
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [path]: v })));
  }
  return combos;
}

/**
 * Expands a spec's `sweep` block into its runs, or returns undefined when it has none.
 * Each member is a deep copy of the spec without `sweep`, with its values set and its name
 * suffixed by its index. The block's shape, overlapping paths, bad paths and the run count
 * are checked here, with errors located in the block (`sweep.grid["optimizer.lr"]: …`);
 * each member is then validated like any spec by the caller.
 */
export function expandSweep(raw: RawSpec, source?: string): SweepMember[] | undefined {
  if (raw.sweep === undefined) return undefined;
  if (!checkSweep({ sweep: raw.sweep })) throw new SpecError(ajvIssues(checkSweep.errors ?? [], { sweep: raw.sweep }), source);
  const block = raw.sweep as SweepBlock;
  const grid = block.grid ?? {};
  const entries = block.list ?? [{}];
  entries.forEach((entry, i) => {
    for (const path of Object.keys(entry)) {
      if (path in grid) throw SpecError.at(joinPath(['sweep', 'list', i, path]), `is also swept by ${joinPath(['sweep', 'grid', path])}`, source);
    }
  });
  const combos = gridCombinations(grid);
  const count = entries.length * combos.length;
  if (count > MAX_SWEEP_RUNS) {
    throw SpecError.at('sweep', `expands to ${count} runs (${entries.length} list entries x ${combos.length} grid combinations), more than ${MAX_SWEEP_RUNS}`, source);
  }
  const name = typeof raw.name === 'string' ? raw.name : 'sweep';
  const members: SweepMember[] = [];
  entries.forEach((entry, e) => {
    combos.forEach((combo) => {
      const index = members.length;
      const spec = structuredClone(raw);
      delete spec.sweep;
      const values = { ...entry, ...combo };
      for (const [path, value] of Object.entries(values)) {
        const where = path in combo ? joinPath(['sweep', 'grid', path]) : joinPath(['sweep', 'list', e, path]);
        try {
          setAtPath(spec, path, structuredClone(value), where);
        } catch (err) {
          throw err instanceof SpecError ? new SpecError(err.issues, source) : err;
        }
      }
      spec.name = `${name}-${index}`;
      members.push({ name, index, count, values, spec });
    });
  });
  return members;
}

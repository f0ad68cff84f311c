import { SpecError } from '../errors';
import type { RawSpec } from './types';

/** `key` or `[index]` segments, a dot before each key but the first: `a.b[0].c`, `views.ssl[1]`. */
const PATH_SYNTAX = /^(?:[^.[\]]+|\[\d+\])(?:\.[^.[\]]+|\[\d+\])*$/;

/** Splits `a.b[0].c` into ['a', 'b', 0, 'c']; `where` locates a bad path in the error. */
function parsePath(expr: string, where = '--set'): Array<string | number> {
  if (!PATH_SYNTAX.test(expr)) throw SpecError.at(where, `cannot parse path "${expr}" (use a.b[0].c=value)`);
  return [...expr.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]));
}

/** The value of an override: JSON when it parses (numbers, booleans, arrays, objects, null), a string otherwise. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Sets the value at path `expr` (`a.b[0].c`) in place: creates intermediate objects,
 * refuses out-of-range indices, and deletes the key when the value is null. Errors are
 * located at `where` (`--set`, or the sweep entry that names the path).
 */
export function setAtPath(spec: RawSpec, expr: string, value: unknown, where: string): void {
  const parts = parsePath(expr, where);
  // Assigning to "__proto__" would replace a prototype (Object's own, a level down), not set a key.
  if (parts.includes('__proto__')) throw SpecError.at(where, `${expr}: "__proto__" is not a spec key`);
  let cur: unknown = spec;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i];
    const container = cur as Record<string | number, unknown>;
    if (typeof key === 'number') {
      if (!Array.isArray(cur) || key >= cur.length) {
        throw SpecError.at(where, `${expr}: index [${key}] is out of range (the array has ${Array.isArray(cur) ? cur.length : 0} items)`);
      }
    } else if (!Object.hasOwn(container, key) || container[key] === undefined || container[key] === null) {
      container[key] = typeof parts[i + 1] === 'number' ? [] : {};
    }
    cur = container[key];
    if (cur === null || typeof cur !== 'object') {
      throw SpecError.at(where, `${expr}: cannot set inside a ${typeof cur} at "${parts.slice(0, i + 1).join('.')}"`);
    }
  }
  const last = parts[parts.length - 1];
  if (typeof last === 'number') {
    if (!Array.isArray(cur) || last > cur.length) {
      throw SpecError.at(where, `${expr}: index [${last}] is out of range`);
    }
  }
  if (value === null && !Array.isArray(cur)) delete (cur as Record<string, unknown>)[last as string];
  else (cur as Record<string | number, unknown>)[last] = value;
}

/** Applies one `path=value` override in place (see setAtPath). */
export function applyOverride(spec: RawSpec, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw SpecError.at('--set', `expected path=value, got "${assignment}"`);
  setAtPath(spec, assignment.slice(0, eq).trim(), parseValue(assignment.slice(eq + 1)), '--set');
}

export function applyOverrides(spec: RawSpec, assignments: readonly string[]): RawSpec {
  for (const a of assignments) applyOverride(spec, a);
  return spec;
}

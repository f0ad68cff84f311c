import * as path from 'node:path';

/**
 * Resolves `relative` inside `root`, or returns undefined when it would land outside it
 * (`../../etc/passwd`, an absolute path elsewhere). The check is lexical: a manifest names
 * files under its image root, and nothing it says can make the loader read elsewhere.
 */
export function resolveInside(root: string, relative: string): string | undefined {
  if (relative.length === 0 || relative.includes('\0')) return undefined;
  const absRoot = path.resolve(root);
  const target = path.resolve(absRoot, relative);
  const rel = path.relative(absRoot, target);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return target;
}

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Whether `target` lies strictly inside `root` (both absolute): compared by path segments, so `..cover.jpg` is inside. */
function isStrictlyInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/**
 * Resolves `relative` inside `root`, or returns undefined when it would land outside it
 * (`../../etc/passwd`, an absolute path elsewhere). The check is lexical: a manifest names
 * files under its image root, and nothing it says can make the loader read elsewhere.
 */
export function resolveInside(root: string, relative: string): string | undefined {
  if (relative.length === 0 || relative.includes('\0')) return undefined;
  const absRoot = path.resolve(root);
  const target = path.resolve(absRoot, relative);
  return isStrictlyInside(absRoot, target) ? target : undefined;
}

/**
 * The file's real path (symlinks followed) when it stays inside `realRoot` (itself a real
 * path), else why not: a symlink inside the root that points outside it would otherwise
 * escape the lexical check above. Rejects with the fs error when the file cannot be resolved.
 */
export async function realPathInside(realRoot: string, file: string): Promise<{ ok: true; path: string } | { ok: false; reason: string }> {
  const real = await fs.promises.realpath(file);
  if (!isStrictlyInside(realRoot, real)) return { ok: false, reason: `resolves through a symlink to ${real}, outside the image root ${realRoot}` };
  return { ok: true, path: real };
}

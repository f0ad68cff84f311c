/**
 * Optional modules (native addons, the webgpu package) are loaded at run time, by path or name,
 * so that a missing one is a reason in a probe rather than a crash at import.
 */
export type Loaded<T> = { ok: true; module: T } | { ok: false; missing: boolean; reason: string };

/** `require`s `id` (a package name or an absolute path); tells "not installed" apart from "fails to load". */
export function loadModule<T>(id: string, paths?: string[]): Loaded<T> {
  let resolved: string;
  try {
    resolved = require.resolve(id, paths ? { paths } : undefined);
  } catch {
    return { ok: false, missing: true, reason: `${id} is not installed` };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { ok: true, module: require(resolved) as T };
  } catch (err) {
    return { ok: false, missing: false, reason: firstLine(err) };
  }
}

export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n').map((l) => l.trim()).find(Boolean) ?? text;
}

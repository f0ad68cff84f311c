const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Deep merge for `extends`: objects merge key by key, arrays and scalars are replaced,
 * `null` deletes the key, and a plugin block whose `type` changes is replaced whole
 * (so options of the old plugin never leak into the new one).
 */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return structuredClone(override);
  if (typeof override.type === 'string' && typeof base.type === 'string' && override.type !== base.type) {
    return stripNulls(structuredClone(override));
  }
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else if (key in out) out[key] = deepMerge(out[key], value);
    else out[key] = stripNulls(structuredClone(value));
  }
  return out;
}

function stripNulls(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  for (const [k, v] of Object.entries(value)) {
    if (v === null) delete value[k];
    else stripNulls(v);
  }
  return value;
}

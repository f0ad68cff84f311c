/**
 * Flattens a resolved spec into dotted keys (`objectives.1.temperature` → "0.1"), the form
 * trackers log as run parameters. Arrays of scalars stay one JSON value (`optimizer.betas` →
 * "[0.9,0.98]"); arrays of objects are indexed. Top-level `$` keys (`$schema`) are left out.
 */
export function flattenSpec(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (Array.isArray(value) && value.some((v) => v !== null && typeof v === 'object')) {
    value.forEach((v, i) => flattenSpec(v, prefix ? `${prefix}.${i}` : String(i), out));
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.length && prefix) out[prefix] = '{}';
    for (const [k, v] of entries) {
      if (!prefix && k.startsWith('$')) continue; // editor-only keys such as "$schema" are not parameters
      flattenSpec(v, prefix ? `${prefix}.${k}` : k, out);
    }
  } else if (prefix) {
    out[prefix] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

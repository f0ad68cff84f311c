/**
 * The flat `key: scalar` YAML of MLflow's FileStore meta.yaml files: enough to write them
 * as MLflow does and to read them back (including ones MLflow wrote), without a YAML library.
 */
export type YamlScalar = string | number | boolean | null | [];

/** Serialises a flat mapping; strings are always quoted so that '0' stays a string. */
export function writeFlatYaml(fields: Record<string, YamlScalar>): string {
  return (
    Object.keys(fields)
      .sort()
      .map((k) => `${k}: ${scalar(fields[k])}`)
      .join('\n') + '\n'
  );
}

function scalar(v: YamlScalar): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  return String(v);
}

/** Parses a flat mapping of scalars; nested or unparsable values are kept as raw strings. */
export function readFlatYaml(text: string): Record<string, YamlScalar> {
  const out: Record<string, YamlScalar> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][\w.-]*):\s?(.*)$/.exec(line);
    if (!m) continue;
    out[m[1]] = parseScalar(m[2].trim());
  }
  return out;
}

function parseScalar(raw: string): YamlScalar {
  if (raw === '' || raw === 'null' || raw === '~') return null;
  if (raw === '[]') return [];
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) return raw.slice(1, -1).replace(/''/g, "'");
  if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) {
    try {
      return JSON.parse(raw) as string;
    } catch {
      return raw.slice(1, -1);
    }
  }
  if (/^-?\d+$/.test(raw)) return Number(raw);
  if (/^-?\d*\.\d+(e[-+]?\d+)?$/i.test(raw)) return Number(raw);
  return raw;
}

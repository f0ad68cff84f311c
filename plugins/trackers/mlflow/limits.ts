import { createHash } from 'node:crypto';
import type { KeyValue, LogBatch, MetricPoint } from './types';

/**
 * The tracking server's limits (mlflow/utils/validation.py). A request over them is refused
 * with a 400, so the client keeps every request inside them.
 */
export const MLFLOW_LIMITS = {
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  /** Bytes of one log-batch JSON body. */
  batchBytes: 1_000_000,
  keyChars: 250,
  /** The server truncates longer param values silently (or refuses them): we cut them ourselves and say so. */
  paramValueChars: 6000,
  tagValueChars: 8000,
} as const;

/**
 * Keys MLflow accepts on every platform: letters, digits, `_ - . / space`. (The server also
 * takes `:` except on Windows, and Unicode letters; we stay with the portable subset.)
 */
export const VALID_KEY = /^[/\w.\- ]*$/;

/**
 * Turns any string into a key MLflow accepts, changing as little as possible:
 * - characters outside `[/\w.\- ]` become `_`;
 * - the key is a normalised relative path (the server stores keys as file paths and refuses
 *   `a//b`, `./a`, `/a`, `a/` and `..`), so empty and `.` segments are dropped and `..` becomes `__`;
 * - over 250 characters it is cut and ends with a hash of the whole key, so two long keys
 *   that share a prefix stay distinct.
 */
export function sanitizeKey(key: string): string {
  let out = key.replace(/[^/\w.\- ]/g, '_');
  out = out
    .split('/')
    .filter((seg) => seg !== '' && seg !== '.')
    .map((seg) => (seg === '..' ? '__' : seg))
    .join('/');
  if (out.startsWith('..')) out = `_${out}`;
  if (out === '') out = '_';
  if (out.length > MLFLOW_LIMITS.keyChars) {
    const hash = createHash('sha1').update(key).digest('hex').slice(0, 8);
    let head = out.slice(0, MLFLOW_LIMITS.keyChars - hash.length - 1);
    while (head.endsWith('/')) head = head.slice(0, -1);
    out = `${head}_${hash}`;
  }
  return out;
}

/** True when `key` is accepted by the server as it is. */
export function isValidKey(key: string): boolean {
  return key.length > 0 && key.length <= MLFLOW_LIMITS.keyChars && sanitizeKey(key) === key;
}

/** Cuts `value` to at most `maxChars` characters (code points, as the Python server counts them). */
export function capValue(value: string, maxChars: number): { value: string; cut: boolean } {
  if (value.length <= maxChars) return { value, cut: false };
  const chars = Array.from(value);
  if (chars.length <= maxChars) return { value, cut: false };
  return { value: chars.slice(0, maxChars).join(''), cut: true };
}

/** A metric value as MLflow's JSON (protobuf) wants it: non-finite doubles are strings. */
export type JsonDouble = number | 'NaN' | 'Infinity' | '-Infinity';

export function toJsonDouble(v: number): JsonDouble {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

export function fromJsonDouble(v: JsonDouble | string | number): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return Number(v);
}

/** Bytes a metric takes in a log-batch body (with its separating comma). */
function metricBytes(m: MetricPoint): number {
  return Buffer.byteLength(JSON.stringify({ key: m.key, value: toJsonDouble(m.value), timestamp: m.timestamp, step: m.step })) + 1;
}

function keyValueBytes(kv: KeyValue): number {
  return Buffer.byteLength(JSON.stringify(kv)) + 1;
}

/** The body around the entities: `{"run_id":"…","metrics":[],"params":[],"tags":[]}` with a generous run id. */
const ENVELOPE_BYTES = 400;

/**
 * Splits a batch into requests that each respect every log-batch limit: ≤1000 metrics,
 * ≤100 params, ≤100 tags, ≤1000 entities and ≤1 MB of JSON. Order within each entity list is
 * kept, so metric points reach the server in the order they were logged.
 */
export function splitLogBatch(batch: LogBatch, limits: typeof MLFLOW_LIMITS = MLFLOW_LIMITS): LogBatch[] {
  const chunks: LogBatch[] = [];
  let current: LogBatch = { metrics: [], params: [], tags: [] };
  let bytes = ENVELOPE_BYTES;
  const entities = (): number => current.metrics.length + current.params.length + current.tags.length;
  const close = (): void => {
    if (entities() > 0) chunks.push(current);
    current = { metrics: [], params: [], tags: [] };
    bytes = ENVELOPE_BYTES;
  };
  const add = <T>(list: 'metrics' | 'params' | 'tags', item: T, size: number, max: number): void => {
    if (size + ENVELOPE_BYTES > limits.batchBytes) {
      // Cannot happen with capped keys and values; refuse loudly rather than send a request the server rejects.
      throw new RangeError(`one ${list.slice(0, -1)} is ${size} bytes, over the ${limits.batchBytes}-byte request limit`);
    }
    const target = current[list] as T[];
    if (target.length >= max || entities() >= limits.entitiesPerBatch || bytes + size > limits.batchBytes) close();
    (current[list] as T[]).push(item);
    bytes += size;
  };
  // Params and tags first: a run's params then belong to its earliest requests.
  for (const p of batch.params) add('params', p, keyValueBytes(p), limits.paramsPerBatch);
  for (const t of batch.tags) add('tags', t, keyValueBytes(t), limits.tagsPerBatch);
  for (const m of batch.metrics) add('metrics', m, metricBytes(m), limits.metricsPerBatch);
  close();
  return chunks;
}
